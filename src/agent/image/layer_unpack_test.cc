// Layers built with Python's tarfile (it writes what real tools write: PAX xattrs,
// hardlinks, symlinks), unpacked onto disk. Needs root.
#include "agent/image/layer_unpack.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "agent/image/content_store.h"

namespace wharf::agent {
namespace {
namespace fs = std::filesystem;

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/wharf-unpack-test-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/out");
    dest_ = fs::canonical(dir_ + "/out").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `entries` is Python building a list `e` of (TarInfo, bytes); returns the tar's path.
  std::string Tar(const std::string& entries, const std::string& compress = "") {
    const std::string tar = dir_ + "/layer.tar";
    std::ofstream(dir_ + "/make.py") << "import tarfile, io\nT = tarfile\ne = []\n"
                                     << "def f(n, d=b'', **kw):\n"
                                     << "  i = T.TarInfo(n); i.size = len(d)\n"
                                     << "  [setattr(i, k, v) for k, v in kw.items()]\n"
                                     << "  e.append((i, d))\n"
                                     << entries << "\n"
                                     << "t = T.open('" << tar << "', 'w', format=T.PAX_FORMAT)\n"
                                     << "[t.addfile(i, io.BytesIO(d)) for i, d in e]\nt.close()\n";
    EXPECT_EQ(std::system(("python3 " + dir_ + "/make.py").c_str()), 0);
    if (!compress.empty()) {
      EXPECT_EQ(std::system((compress + " -q -f " + tar).c_str()), 0);
      return tar + (compress == "gzip" ? ".gz" : ".zst");
    }
    return tar;
  }

  static std::string DigestOfFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    Digester d;
    d.Update(std::string(std::istreambuf_iterator<char>(in), {}));
    return d.Finish();
  }

  std::string dir_, dest_;
};

TEST_F(LayerUnpackTest, KeepsFilesLinksOwnersAndXattrsAndChecksTheDiffId) {
  const std::string tar = Tar(R"(
f('etc', type=T.DIRTYPE, mode=0o755)
f('etc/passwd', b'root:x:0:0\n', mode=0o644, uid=7, gid=8, pax_headers={'SCHILY.xattr.user.k': 'v', 'SCHILY.xattr.trusted.overlay.opaque': 'y'})
f('etc/link', type=T.LNKTYPE, linkname='etc/passwd')
f('etc/sym', type=T.SYMTYPE, linkname='/etc/passwd')
f('./etc/.wh.gone')
)");
  const std::string diff_id = DigestOfFile(tar);
  ASSERT_EQ(::system(("gzip -k -q " + tar).c_str()), 0);
  Status s = UnpackLayer(tar + ".gz", dest_, diff_id);
  ASSERT_TRUE(s.ok()) << s.ToString();
  struct stat a, b;
  ASSERT_EQ(::stat((dest_ + "/etc/passwd").c_str(), &a), 0);
  ASSERT_EQ(::stat((dest_ + "/etc/link").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_uid, 7u);
  EXPECT_EQ(a.st_gid, 8u);
  EXPECT_EQ(fs::read_symlink(dest_ + "/etc/sym"), "/etc/passwd");
  char value[8] = {};
  EXPECT_EQ(::getxattr((dest_ + "/etc/passwd").c_str(), "user.k", value, sizeof value), 1);
  EXPECT_LT(::getxattr((dest_ + "/etc/passwd").c_str(), "trusted.overlay.opaque", value, 8), 0)
      << "a layer cannot forge overlay state";
  ASSERT_EQ(::lstat((dest_ + "/etc/gone").c_str(), &a), 0);
  EXPECT_TRUE(S_ISCHR(a.st_mode));

  fs::remove_all(dest_);
  fs::create_directories(dest_);
  s = UnpackLayer(tar, dest_, "sha256:" + std::string(64, '0'));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("diff ID mismatch"), std::string::npos);
}

TEST_F(LayerUnpackTest, RefusesPathsThatEscapeTheRoot) {
  const std::string victim = dir_ + "/victim";
  for (const std::string& entries :
       {std::string("f('../victim', b'x')"), std::string("f('a/../../victim', b'x')"),
        std::string("f('l', type=T.SYMTYPE, linkname='" + dir_ + "')\nf('l/victim', b'x')"),
        std::string("f('h', type=T.LNKTYPE, linkname='../victim')")}) {
    fs::remove_all(dest_);
    fs::create_directories(dest_);
    Status s = UnpackLayer(Tar(entries), dest_, "");
    EXPECT_FALSE(s.ok()) << entries;
    EXPECT_FALSE(fs::exists(victim)) << entries;
  }
}

TEST_F(LayerUnpackTest, ZstdAndUncompressed) {
  const std::string tar = Tar("f('x', b'hello')", "zstd");
  ASSERT_TRUE(UnpackLayer(tar, dest_, "").ok());
  std::ifstream in(dest_ + "/x");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "hello");
  EXPECT_TRUE(UnpackLayer(Tar("f('y', b'')"), dest_, "").ok());
  EXPECT_TRUE(fs::exists(dest_ + "/y"));
}

}  // namespace
}  // namespace wharf::agent
