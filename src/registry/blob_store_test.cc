// BlobStore's sealed blobs (repositories encrypted with KMS): sealed at upload, no plaintext
// on disk, ranges decrypted from the chunk that holds them, a wrong digest leaving nothing.
#include "registry/blob_store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wharf::registry
