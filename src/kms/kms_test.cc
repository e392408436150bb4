// The kms library: AES-256-GCM, the ciphertext blob format, the root key file and wrapping.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/crypto.h"
#include "base/random.h"
#include "kms/aes_gcm.h"
#include "kms/ciphertext_blob.h"
#include "kms/root_key.h"
#include "kms/sealed_blob.h"
#include "kms/signing.h"
#include "tests/support/temp_dir.h"

namespace wharf::kms {
namespace {

TEST(AesGcm, SealsAndOpensWithTheSameKeyIvAndAad) {
  SecureRandom random;
  std::string key = RandomBytes(random, kKeyBytes), iv = RandomBytes(random, kIvBytes);
  auto sealed = Seal(key, iv, "attack at dawn", "context");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 14 + kTagBytes);
  EXPECT_EQ(sealed->find("attack"), std::string::npos);
  auto opened = Open(key, iv, *sealed, "context");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "attack at dawn");
  EXPECT_FALSE(Open(key, iv, *sealed, "other context").ok());
  EXPECT_FALSE(Open(RandomBytes(random, kKeyBytes), iv, *sealed, "context").ok());
  std::string flipped = *sealed;
  flipped[0] ^= 1;
  EXPECT_FALSE(Open(key, iv, flipped, "context").ok());
  EXPECT_FALSE(Open(key, iv, "short", "context").ok());
}

TEST(AesGcm, EmptyPlaintextStillHasATag) {
  SecureRandom random;
  std::string key = RandomBytes(random, kKeyBytes), iv = RandomBytes(random, kIvBytes);
  auto sealed = Seal(key, iv, "", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kTagBytes);
  auto opened = Open(key, iv, *sealed, "");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "");
}

TEST(CiphertextBlob, RoundTripsAndKeepsTheLayoutDocumented) {
  CiphertextBlob blob{"1234abcd-12ab-34cd-56ef-1234567890ab", 2, std::string(kIvBytes, 'i'),
                      std::string(20, 'c')};
  std::string bytes = EncodeBlob(blob);
  EXPECT_EQ(bytes.substr(0, 4), std::string("WKM\x01", 4));
  EXPECT_EQ(static_cast<unsigned char>(bytes[4]), 36);
  EXPECT_EQ(bytes.substr(5, 36), blob.key_id);
  EXPECT_EQ(bytes.substr(41, 4), std::string("\0\0\0\x02", 4));
  EXPECT_EQ(bytes.size(), 45 + kIvBytes + 20);
  auto parsed = ParseBlob(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->key_id, blob.key_id);
  EXPECT_EQ(parsed->material_version, 2u);
  EXPECT_EQ(parsed->iv, blob.iv);
  EXPECT_EQ(parsed->sealed, blob.sealed);
  EXPECT_EQ(BlobAad(blob.key_id, 2, {}), bytes.substr(0, 45) + std::string(4, '\0'));
}

TEST(CiphertextBlob, RefusesWhatIsNotABlob) {
  EXPECT_FALSE(ParseBlob("").ok());
  EXPECT_FALSE(ParseBlob("WKM").ok());
  EXPECT_FALSE(ParseBlob(std::string("WKM\x02", 4) + std::string(60, 'x')).ok());  // another version
  EXPECT_FALSE(ParseBlob(std::string("WKM\x01\x00", 5) + std::string(60, 'x')).ok());  // empty key id
  EXPECT_FALSE(ParseBlob(std::string("WKM\x01\x41", 5) + std::string(80, 'x')).ok());  // 65-byte key id
  // A key id and version but no room for the nonce and the tag.
  EXPECT_FALSE(ParseBlob(std::string("WKM\x01\x01", 5) + "k" + std::string(4 + kIvBytes + kTagBytes - 1, 'x')).ok());
  EXPECT_TRUE(ParseBlob(std::string("WKM\x01\x01", 5) + "k" + std::string(4 + kIvBytes + kTagBytes, 'x')).ok());
}

TEST(CiphertextBlob, ContextIsCanonicalAndUnambiguous) {
  EXPECT_EQ(EncodeContext({{"a", "b"}, {"c", "d"}}), EncodeContext({{"c", "d"}, {"a", "b"}}));
  EXPECT_NE(EncodeContext({{"ab", "c"}}), EncodeContext({{"a", "bc"}}));
  EXPECT_NE(EncodeContext({}), EncodeContext({{"", ""}}));
}

TEST(RootKey, IsMadeOnceWithMode0600AndReadBack) {
  testing::TempDir dir;
  SecureRandom random;
  std::string path = (dir.path() / "kms-root-key").string();
  EXPECT_FALSE(LoadRootKey(path, false, random).ok());
  auto made = LoadRootKey(path, true, random);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->size(), kKeyBytes);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto again = LoadRootKey(path, true, random);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *made);
}

TEST(RootKey, AcceptsRawBytesAndRefusesOtherLengths) {
  testing::TempDir dir;
  SecureRandom random;
  std::string path = (dir.path() / "key").string();
  std::ofstream(path) << std::string(32, 'k');
  auto raw = LoadRootKey(path, false, random);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, std::string(32, 'k'));
  std::ofstream(path) << "abcd\n";
  EXPECT_TRUE(LoadRootKey(path, false, random).status().IsInvalidArgument());
}

TEST(RootKey, TheDefaultFileIsMadeOnFirstUseNotAtStart) {
  testing::TempDir dir;
  SecureRandom random;
  std::string path = (dir.path() / "kms-root-key").string();
  RootKey lazy(path, true, random);
  ASSERT_TRUE(lazy.Preload().ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  auto key = lazy.Get();
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(std::filesystem::exists(path));
  RootKey again(path, false, random);
  ASSERT_TRUE(again.Preload().ok());
  EXPECT_EQ(again.Get().value(), *key);
  RootKey missing((dir.path() / "none").string(), false, random);
  EXPECT_FALSE(missing.Preload().ok());  // a named file must exist
}

TEST(RootKey, WrappedMaterialIsBoundToItsKeyAndVersion) {
  SecureRandom random;
  std::string root = RandomBytes(random, kKeyBytes), material = RandomBytes(random, kKeyBytes);
  auto wrapped = WrapMaterial(root, "key-1", 0, material, random);
  ASSERT_TRUE(wrapped.ok());
  auto unwrapped = UnwrapMaterial(root, "key-1", 0, *wrapped);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(*unwrapped, material);
  EXPECT_FALSE(UnwrapMaterial(root, "key-2", 0, *wrapped).ok());
  EXPECT_FALSE(UnwrapMaterial(root, "key-1", 1, *wrapped).ok());
  EXPECT_FALSE(UnwrapMaterial(RandomBytes(random, kKeyBytes), "key-1", 0, *wrapped).ok());
}

TEST(Signing, EcdsaSignaturesVerifyOnlyForTheirDigest) {
  auto pair = GenerateKeyPair("ECC_NIST_P256");
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  EXPECT_EQ(SigningAlgorithmsOf("ECC_NIST_P256"), std::vector<std::string>{"ECDSA_SHA_256"});
  auto digest = DigestFor("ECDSA_SHA_256", "message");
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->size(), DigestBytes("ECDSA_SHA_256"));
  auto sig = SignDigest(pair->private_der, "ECDSA_SHA_256", *digest);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_TRUE(VerifyDigest(pair->public_der, "ECDSA_SHA_256", *digest, *sig).value());
  EXPECT_FALSE(VerifyDigest(pair->public_der, "ECDSA_SHA_256", *DigestFor("ECDSA_SHA_256", "other"), *sig).value());
  EXPECT_FALSE(VerifyDigest(pair->public_der, "ECDSA_SHA_256", *digest, "not a signature").value());
}

TEST(Signing, HmacMatchesItsSpec) {
  EXPECT_EQ(KindOfSpec("HMAC_384"), SpecKind::kHmac);
  EXPECT_EQ(MacAlgorithmOf("HMAC_384"), "HMAC_SHA_384");
  EXPECT_EQ(HmacKeyBytes("HMAC_384"), 48u);
  auto mac = Hmac("HMAC_SHA_256", "key", "The quick brown fox jumps over the lazy dog");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(HexEncode(*mac), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  EXPECT_EQ(KindOfSpec("SM2"), SpecKind::kUnknown);
}

}  // namespace
}  // namespace wharf::kms

namespace wharf::kms {
namespace {

TEST(AesGcmKeyTest, SameAsSealAndOpenForManyMessages) {
  SecureRandom random;
  const std::string key = RandomBytes(random, kKeyBytes);
  AesGcmKey reused(key);
  for (int i = 0; i < 5; ++i) {
    std::string iv = RandomBytes(random, kIvBytes), text(static_cast<size_t>(i * 37), 'a' + i);
    auto a = reused.Seal(iv, text, "aad");
    auto b = Seal(key, iv, text, "aad");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
    auto opened = reused.Open(iv, *b, "aad");
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, text);
    EXPECT_FALSE(reused.Open(iv, *b, "other").ok());
  }
  AesGcmKey wrong(std::string(kKeyBytes, 'w'));
  std::string iv = RandomBytes(random, kIvBytes);
  EXPECT_FALSE(wrong.Open(iv, *Seal(key, iv, "x", ""), "").ok());
}

TEST(SealedBlobTest, ChunksRoundTripAndRefuseTampering) {
  SecureRandom random;
  const std::string key(kKeyBytes, 'd');
  std::string plain(3 * kSealedChunkBytes + 100, '\0');
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<char>(i * 7);
  SealedBlobHeader header = NewSealedBlobHeader(plain.size(), random);
  ASSERT_EQ(header.chunk_count(), 4u);
  SealedBlobCipher cipher(key, header);
  std::string file = EncodeSealedBlobHeader(header);
  for (uint64_t i = 0; i < header.chunk_count(); ++i) {
    auto sealed = cipher.SealChunk(i, std::string_view(plain).substr(i * kSealedChunkBytes, header.ChunkPlainSize(i)));
    ASSERT_TRUE(sealed.ok());
    ASSERT_EQ(file.size(), header.ChunkOffset(i));
    file += *sealed;
  }
  ASSERT_EQ(file.size(), header.FileSize());
  auto parsed = ParseSealedBlobHeader(file);
  ASSERT_TRUE(parsed.ok());
  SealedBlobCipher reader(key, *parsed);
  std::string back;
  for (uint64_t i = 0; i < parsed->chunk_count(); ++i) {
    size_t n = parsed->ChunkPlainSize(i) + kTagBytes;
    auto opened = reader.OpenChunk(i, std::string_view(file).substr(parsed->ChunkOffset(i), n));
    ASSERT_TRUE(opened.ok()) << i;
    back += *opened;
  }
  EXPECT_EQ(back, plain);
  // A chunk read as another index, a flipped bit, another key: all refused.
  size_t n0 = parsed->ChunkPlainSize(0) + kTagBytes;
  EXPECT_FALSE(reader.OpenChunk(1, std::string_view(file).substr(parsed->ChunkOffset(0), n0)).ok());
  std::string flipped = file.substr(parsed->ChunkOffset(0), n0);
  flipped[5] ^= 1;
  EXPECT_FALSE(reader.OpenChunk(0, flipped).ok());
  SealedBlobCipher other(std::string(kKeyBytes, 'e'), *parsed);
  EXPECT_FALSE(other.OpenChunk(0, std::string_view(file).substr(parsed->ChunkOffset(0), n0)).ok());
  // The header's size is bound to every chunk.
  SealedBlobHeader shorter = *parsed;
  shorter.plaintext_size -= 1;
  SealedBlobCipher truncated(key, shorter);
  EXPECT_FALSE(truncated.OpenChunk(0, std::string_view(file).substr(parsed->ChunkOffset(0), n0)).ok());
  EXPECT_FALSE(ParseSealedBlobHeader("WSB1").ok());
}

}  // namespace
}  // namespace wharf::kms
