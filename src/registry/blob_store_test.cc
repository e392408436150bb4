// BlobStore's sealed blobs (repositories encrypted with KMS): sealed at upload, no plaintext
// on disk, ranges decrypted from the chunk that holds them, a wrong digest leaving nothing.
#include "registry/blob_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/crypto.h"
#include "base/random.h"
#include "tests/support/temp_dir.h"

namespace wharf::registry {
namespace {

std::string Drain(net::BodySource& source, size_t length) {
  std::string out;
  while (out.size() < length) {
    auto piece = source.Next();
    EXPECT_TRUE(piece.ok());
    if (!piece.ok() || piece->empty()) break;
    out += *piece;
  }
  return out;
}

TEST(BlobStoreSealed, SealsUploadsAndReadsRanges) {
  wharf::testing::TempDir dir;
  SecureRandom random;
  auto store = BlobStore::Open(dir.path().string(), random);
  ASSERT_TRUE(store.ok());
  std::string data(200000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) ^ (i >> 9));
  std::string digest = "sha256:" + HexEncode(Sha256(data));
  const std::string ns = "0123456789abcdef0123456789abcdef", key(32, 'k');

  auto uuid = (*store)->StartUpload();
  ASSERT_TRUE(uuid.ok());
  ASSERT_TRUE((*store)->AppendBytes(*uuid, data).ok());
  ASSERT_TRUE((*store)->FinishSealedUpload(*uuid, digest, ns, key).ok());
  EXPECT_EQ((*store)->SealedSize(ns, digest), static_cast<int64_t>(data.size()));
  EXPECT_FALSE((*store)->Size(digest).has_value());  // not in the shared store
  std::ifstream f((*store)->SealedPathOf(ns, digest), std::ios::binary);
  std::stringstream file;
  file << f.rdbuf();
  EXPECT_EQ(file.str().find(data.substr(70000, 64)), std::string::npos);

  for (auto [first, length] : {std::pair<int64_t, int64_t>{0, 200000}, {65530, 20}, {131072, 1}, {199990, 10}}) {
    auto source = (*store)->OpenSealed(ns, digest, key, first, length);
    ASSERT_TRUE(source.ok());
    EXPECT_EQ(Drain(**source, static_cast<size_t>(length)), data.substr(first, length)) << first;
  }
  auto wrong = (*store)->OpenSealed(ns, digest, std::string(32, 'x'), 0, 10);
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE((*wrong)->Next().ok());

  // A digest that does not match leaves neither the sealed file nor the upload.
  auto other = (*store)->StartUpload();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*store)->AppendBytes(*other, "abc").ok());
  std::string bad = "sha256:" + std::string(64, '0');
  EXPECT_TRUE((*store)->FinishSealedUpload(*other, bad, ns, key).IsInvalidArgument());
  EXPECT_FALSE((*store)->SealedSize(ns, bad).has_value());
  EXPECT_FALSE((*store)->UploadSize(*other).ok());
  auto listed = (*store)->ListSealed();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].digest, digest);
}

std::string FileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream bytes;
  bytes << f.rdbuf();
  return bytes.str();
}

TEST(BlobStoreSealed, UploadsInProgressAreSealedAsTheyArrive) {
  wharf::testing::TempDir dir;
  SecureRandom random;
  auto store = BlobStore::Open(dir.path().string(), random);
  ASSERT_TRUE(store.ok());
  std::string data(3 * 1024 * 1024 + 12345, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) ^ (i >> 9) ^ (i >> 17));
  std::string digest = "sha256:" + HexEncode(Sha256(data));
  const std::string ns = "00112233445566778899aabbccddeeff", key(32, 'k');

  auto uuid = (*store)->StartSealedUpload(key);
  ASSERT_TRUE(uuid.ok());
  EXPECT_TRUE((*store)->IsSealedUpload(*uuid));
  EXPECT_EQ(*(*store)->UploadSize(*uuid), 0);
  // Pieces of odd sizes, one of them larger than a record, one from a spooled file.
  size_t cuts[] = {0, 1000, 70000, 70001, 1500000};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    ASSERT_TRUE((*store)->AppendSealed(*uuid, key, "", data.substr(cuts[i], cuts[i + 1] - cuts[i])).ok());
  }
  std::string spool = (dir.path() / "spool").string();
  {
    std::ofstream f(spool, std::ios::binary);
    f << data.substr(1500000);
  }
  ASSERT_TRUE((*store)->AppendSealed(*uuid, key, spool, "").ok());
  EXPECT_FALSE(std::filesystem::exists(spool));  // consumed
  EXPECT_EQ(*(*store)->UploadSize(*uuid), static_cast<int64_t>(data.size()));
  std::string on_disk = FileBytes(dir.path().string() + "/uploads/" + *uuid + ".wsu");
  for (size_t at : {size_t{0}, size_t{1000}, size_t{70000}, size_t{2000000}}) {
    EXPECT_EQ(on_disk.find(data.substr(at, 64)), std::string::npos) << at;
  }
  // The wrong key neither appends nor finishes, and leaves the upload as it was.
  EXPECT_TRUE((*store)->AppendSealed(*uuid, std::string(32, 'x'), "", "more").IsNotFound());
  EXPECT_EQ(*(*store)->UploadSize(*uuid), static_cast<int64_t>(data.size()));
  ASSERT_TRUE((*store)->FinishSealedUpload(*uuid, digest, ns, key).ok());
  EXPECT_FALSE((*store)->UploadSize(*uuid).ok());
  auto source = (*store)->OpenSealed(ns, digest, key, 0, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(Drain(**source, data.size()), data);

  // A plain commit refuses it; garbage collection's delete leaves no empty directories.
  auto other = (*store)->StartSealedUpload(key);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*store)->FinishUpload(*other, digest).IsInvalidArgument());
  EXPECT_FALSE((*store)->UploadSize(*other).ok());
  ASSERT_TRUE((*store)->DeleteSealed(ns, digest).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "sealed" / ns));
}

}  // namespace
}  // namespace wharf::registry
