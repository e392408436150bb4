#include "agent/image/content_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/crypto.h"
#include "base/random.h"
#include "oci/manifest.h"

namespace wharf::agent {
namespace fs = std::filesystem;

void Digester::Update(std::string_view bytes) { hasher_.Update(bytes); }
std::string Digester::Finish() { return "sha256:" + HexEncode(hasher_.Finish()); }

ContentStore::Writer::Writer(const ContentStore& store, std::string path, std::FILE* file)
    : store_(store), path_(std::move(path)), file_(file) {}

ContentStore::Writer::~Writer() {
  if (file_) std::fclose(file_);
  if (!committed_) ::unlink(path_.c_str());
}

Status ContentStore::Writer::Write(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return Status::Internal("write " + path_ + ": " + std::strerror(errno));
  }
  digester_.Update(bytes);
  written_ += static_cast<int64_t>(bytes.size());
  return Status::OK();
}

Status ContentStore::Writer::Commit(const std::string& expected_digest, int64_t expected_size) {
  RETURN_IF_ERROR(Verify(expected_digest, expected_size));
  const std::string dest = store_.PathOf(expected_digest);
  if (::rename(path_.c_str(), dest.c_str()) != 0) {
    return Status::Internal("publish " + dest + ": " + std::strerror(errno));
  }
  committed_ = true;
  return Status::OK();
}

Status ContentStore::Writer::Verify(const std::string& expected_digest, int64_t expected_size) {
  if (!file_) return Status::Internal("blob " + expected_digest + " verified twice");
  const int flushed = std::fflush(file_);
  const int synced = flushed == 0 ? ::fsync(fileno(file_)) : -1;
  std::fclose(file_);
  file_ = nullptr;
  if (flushed != 0 || synced != 0) return Status::Internal("flush " + path_);
  const std::string actual = digester_.Finish();
  if (expected_size >= 0 && written_ != expected_size) {
    return Status::Internal("blob " + expected_digest + " has " + std::to_string(written_) +
                            " bytes, the manifest says " + std::to_string(expected_size));
  }
  if (actual != expected_digest) {
    return Status::Internal("digest mismatch: expected " + expected_digest + ", content is " +
                            actual);
  }
  return Status::OK();
}

Result<std::unique_ptr<ContentStore>> ContentStore::Open(const std::string& root) {
  std::error_code ec;
  fs::remove_all(fs::path(root) / "ingest", ec);
  fs::create_directories(fs::path(root) / "ingest", ec);
  if (!ec) fs::create_directories(fs::path(root) / "blobs" / "sha256", ec);
  if (ec) return Status::Internal("create content store in " + root + ": " + ec.message());
  return std::unique_ptr<ContentStore>(new ContentStore(root));
}

std::string ContentStore::PathOf(const std::string& digest) const {
  return root_ + "/blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

bool ContentStore::Has(const std::string& digest) const {
  return oci::IsDigest(digest) && ::access(PathOf(digest).c_str(), F_OK) == 0;
}

Result<std::string> ContentStore::Read(const std::string& digest) const {
  if (!oci::IsDigest(digest)) return Status::InvalidArgument("bad digest " + digest);
  std::ifstream in(PathOf(digest), std::ios::binary);
  if (!in) return Status::NotFound("blob " + digest + " not in the content store");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status ContentStore::Put(const std::string& digest, std::string_view bytes) {
  ASSIGN_OR_RETURN(auto writer, NewWriter());
  RETURN_IF_ERROR(writer->Write(bytes));
  return writer->Commit(digest, static_cast<int64_t>(bytes.size()));
}

Result<std::unique_ptr<ContentStore::Writer>> ContentStore::NewWriter() {
  static FastRandom rng;
  std::string path = root_ + "/ingest/" + RandomHex(rng, 16);
  std::FILE* f = std::fopen(path.c_str(), "wbx");
  if (!f) return Status::Internal("create " + path + ": " + std::strerror(errno));
  return std::unique_ptr<Writer>(new Writer(*this, std::move(path), f));
}

Status ContentStore::Remove(const std::string& digest) {
  if (::unlink(PathOf(digest).c_str()) != 0 && errno != ENOENT) {
    return Status::Internal("remove blob " + digest + ": " + std::strerror(errno));
  }
  return Status::OK();
}

std::vector<std::string> ContentStore::List() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ + "/blobs/sha256", ec)) {
    std::string digest = "sha256:" + e.path().filename().string();
    if (oci::IsDigest(digest)) out.push_back(std::move(digest));
  }
  return out;
}

}  // namespace wharf::agent
