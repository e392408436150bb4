#include "agent/runtime/oci_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/runtime/seccomp.h"

namespace wharf::agent {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

class TempRootfs {
 public:
  TempRootfs() {
    char tmpl[] = "/tmp/wharf-spec-test-XXXXXX";
    path_ = mkdtemp(tmpl);
    fs::create_directories(path_ + "/etc");
    std::ofstream(path_ + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                            "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                                            "app:x:1000:1000:App:/home/app:/bin/sh\n";
    std::ofstream(path_ + "/etc/group") << "root:x:0:\n"
                                           "daemon:x:1:\n"
                                           "wheel:x:10:root,app\n"
                                           "docker:x:999:app\n"
                                           "app:x:1000:\n";
  }
  ~TempRootfs() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

std::vector<std::string> Args(std::string_view def_text, std::string_view image_text) {
  json::object def = Obj(def_text);
  return ProcessArgs(def.if_contains("entryPoint"), def.if_contains("command"), Obj(image_text));
}

using Strings = std::vector<std::string>;

TEST(ProcessArgsTest, CombinesLikeDocker) {
  const char* image = R"({"Entrypoint":["/ep"],"Cmd":["a","b"]})";
  EXPECT_EQ(Args("{}", image), (Strings{"/ep", "a", "b"}));
  // command replaces the image's Cmd, keeping its Entrypoint.
  EXPECT_EQ(Args(R"({"command":["x"]})", image), (Strings{"/ep", "x"}));
  // entryPoint replaces the Entrypoint and drops the image's Cmd.
  EXPECT_EQ(Args(R"({"entryPoint":["/bin/sh","-c"]})", image), (Strings{"/bin/sh", "-c"}));
  EXPECT_EQ(Args(R"({"entryPoint":["/bin/sh","-c"],"command":["echo hi"]})", image),
            (Strings{"/bin/sh", "-c", "echo hi"}));
  // An empty (not absent) entryPoint clears the image's, like `docker run --entrypoint ""`.
  EXPECT_EQ(Args(R"({"entryPoint":[]})", image), (Strings{"a", "b"}));
  EXPECT_EQ(Args(R"({"entryPoint":null,"command":null})", image), (Strings{"/ep", "a", "b"}));
  EXPECT_EQ(Args(R"({"command":["sleep","1"]})", R"({"Cmd":["sh"]})"), (Strings{"sleep", "1"}));
  EXPECT_TRUE(Args("{}", "{}").empty());
}

TEST(ResolveUserTest, NamesIdsAndGroups) {
  TempRootfs root;
  auto u = ResolveUser(root.path(), "");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->home, "/root");
  EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{10}));

  u = ResolveUser(root.path(), "app");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->home, "/home/app");
  EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{10, 999}));

  u = ResolveUser(root.path(), "1000");  // uid known to passwd: same as by name
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->additional_gids.size(), 2u);

  u = ResolveUser(root.path(), "app:docker");  // explicit group: no supplementary groups
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 999u);
  EXPECT_TRUE(u->additional_gids.empty());

  u = ResolveUser(root.path(), "4242:4343");  // numeric ids need no entries
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 4343u);
  EXPECT_EQ(u->home, "/");

  u = ResolveUser(root.path(), "4242");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 0u);

  EXPECT_TRUE(ResolveUser(root.path(), "nosuch").status().IsInvalidArgument());
  EXPECT_TRUE(ResolveUser(root.path(), "app:nosuch").status().IsInvalidArgument());
  // A scratch image without /etc/passwd still runs as numeric ids.
  EXPECT_TRUE(ResolveUser("/nonexistent", "0").ok());
  EXPECT_FALSE(ResolveUser("/nonexistent", "root").ok());
}

class BuildOciSpecTest : public ::testing::Test {
 protected:
  ContainerSpecInput Input(std::string_view def) {
    ContainerSpecInput in;
    in.definition = Obj(def);
    in.image_config = Obj(
        R"({"Env":["PATH=/image/bin","LANG=C","FOO=image"],"Cmd":["/bin/sh"],"WorkingDir":"/srv"})");
    in.rootfs = root_.path();
    in.hostname = "ip-10-0-0-5";
    in.extra_env = {"ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/x"};
    in.cgroups_path = "/wharf/task/c";
    return in;
  }
  json::object Build(std::string_view def) {
    auto spec = BuildOciSpec(Input(def));
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    return spec.ok() ? *spec : json::object{};
  }
  TempRootfs root_;
};

Strings ToStrings(const json::value& v) {
  Strings out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

TEST_F(BuildOciSpecTest, ProcessFromDefinitionAndImage) {
  auto spec = Build(R"({"command":["echo","hi"],"user":"app","workingDirectory":"/work",
      "environment":[{"name":"FOO","value":"def"},{"name":"BAR","value":"1"}]})");
  const auto& p = spec["process"].as_object();
  EXPECT_EQ(ToStrings(p.at("args")), (Strings{"echo", "hi"}));
  EXPECT_EQ(p.at("cwd"), "/work");
  EXPECT_EQ(ToStrings(p.at("env")),
            (Strings{"HOSTNAME=ip-10-0-0-5", "PATH=/image/bin", "LANG=C", "FOO=def", "BAR=1",
                     "ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/x", "HOME=/home/app"}));
  EXPECT_EQ(p.at("user").at("uid"), 1000);
  EXPECT_EQ(p.at("user").at("gid"), 1000);
  EXPECT_EQ(p.at("user").at("additionalGids").as_array().size(), 2u);
  // Non-root: only the bounding set, as dockerd.
  EXPECT_FALSE(p.at("capabilities").as_object().contains("effective"));
  EXPECT_EQ(p.at("capabilities").at("bounding").as_array().size(), 14u);
  EXPECT_EQ(spec["hostname"], "ip-10-0-0-5");
  EXPECT_EQ(spec["root"].at("readonly"), false);
}

TEST_F(BuildOciSpecTest, DefaultsFromImage) {
  auto spec = Build("{}");
  const auto& p = spec["process"].as_object();
  EXPECT_EQ(ToStrings(p.at("args")), (Strings{"/bin/sh"}));
  EXPECT_EQ(p.at("cwd"), "/srv");
  EXPECT_EQ(p.at("user").at("uid"), 0);
  EXPECT_EQ(ToStrings(p.at("capabilities").at("effective")).size(), 14u);
  EXPECT_FALSE(p.at("capabilities").as_object().contains("ambient"));
  EXPECT_FALSE(p.at("capabilities").as_object().contains("inheritable"));
  // Default nofile like Fargate.
  EXPECT_EQ(p.at("rlimits").at(0).at("type"), "RLIMIT_NOFILE");
  EXPECT_LE(p.at("rlimits").at(0).at("soft").as_int64(), 65535);
  const auto& linux_cfg = spec["linux"].as_object();
  EXPECT_EQ(linux_cfg.at("cgroupsPath"), "/wharf/task/c");
  EXPECT_EQ(linux_cfg.at("resources").at("cpu").at("shares"), 2);
  EXPECT_FALSE(linux_cfg.at("resources").as_object().contains("memory"));
  EXPECT_EQ(linux_cfg.at("maskedPaths").as_array().size(), 11u);
  EXPECT_TRUE(linux_cfg.contains("seccomp"));
  // Host network: no network namespace entry at all.
  for (const auto& ns : linux_cfg.at("namespaces").as_array()) EXPECT_NE(ns.at("type"), "network");
}

TEST_F(BuildOciSpecTest, NoPathInImageGetsDockersDefault) {
  ContainerSpecInput in = Input("{}");
  in.image_config = Obj(R"({"Cmd":["sh"]})");
  auto spec = BuildOciSpec(in);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->at("process").at("env").at(0),
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

TEST_F(BuildOciSpecTest, ResourcesUlimitsAndReadonlyRoot) {
  auto spec = Build(R"({"cpu":256,"memory":512,"memoryReservation":128,"readonlyRootFilesystem":true,
      "ulimits":[{"name":"nofile","softLimit":1024,"hardLimit":4096},{"name":"core","softLimit":0,"hardLimit":0}],
      "systemControls":[{"namespace":"net.core.somaxconn","value":"1024"}]})");
  const auto& res = spec["linux"].at("resources");
  EXPECT_EQ(res.at("cpu").at("shares"), 256);
  EXPECT_EQ(res.at("memory").at("limit"), 512 * 1024 * 1024);
  EXPECT_EQ(res.at("memory").at("reservation"), 128 * 1024 * 1024);
  EXPECT_EQ(spec["root"].at("readonly"), true);
  const auto& rl = spec["process"].at("rlimits").as_array();
  ASSERT_EQ(rl.size(), 2u);
  EXPECT_EQ(rl[0].at("type"), "RLIMIT_NOFILE");
  EXPECT_EQ(rl[0].at("soft"), 1024);
  EXPECT_EQ(rl[0].at("hard"), 4096);
  EXPECT_EQ(rl[1].at("type"), "RLIMIT_CORE");
  EXPECT_EQ(spec["linux"].at("sysctl").at("net.core.somaxconn"), "1024");

  EXPECT_TRUE(BuildOciSpec(Input(R"({"ulimits":[{"name":"bogus","softLimit":1,"hardLimit":1}]})"))
                  .status().IsInvalidArgument());
  EXPECT_TRUE(BuildOciSpec(Input(R"({"memory":4})")).status().IsInvalidArgument());
  EXPECT_TRUE(BuildOciSpec(Input(R"({"user":"ghost"})")).status().IsInvalidArgument());
}

TEST_F(BuildOciSpecTest, MountsReplaceDefaultsAtTheSameDestination) {
  ContainerSpecInput in = Input(R"({"linuxParameters":{"sharedMemorySize":128,
      "tmpfs":[{"containerPath":"/scratch","size":32}]}})");
  in.mounts = {{"/var/lib/wharf/t/hosts", "/etc/hosts", true}, {"/data/vol", "/dev/shm", false}};
  auto spec = BuildOciSpec(in);
  ASSERT_TRUE(spec.ok());
  std::map<std::string, json::object> by_dest;
  for (const auto& m : spec->at("mounts").as_array()) {
    by_dest[std::string(m.at("destination").as_string())] = m.as_object();
  }
  EXPECT_EQ(by_dest["/proc"].at("type"), "proc");
  EXPECT_EQ(by_dest["/sys"].at("options").as_array().back(), "ro");
  EXPECT_EQ(by_dest["/dev/shm"].at("type"), "bind");  // the volume won
  EXPECT_EQ(by_dest["/etc/hosts"].at("options").as_array().back(), "ro");
  EXPECT_EQ(by_dest["/scratch"].at("options").as_array().back(), "size=32m");
  EXPECT_EQ(spec->at("mounts").as_array().size(), 7u + 2u);
}

TEST_F(BuildOciSpecTest, CapabilitiesAddDropAll) {
  auto caps = EffectiveCapabilities({"SYS_ADMIN"}, {"NET_RAW", "CAP_MKNOD"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->size(), 13u);
  EXPECT_NE(std::find(caps->begin(), caps->end(), "CAP_SYS_ADMIN"), caps->end());
  EXPECT_EQ(std::find(caps->begin(), caps->end(), "CAP_NET_RAW"), caps->end());
  caps = EffectiveCapabilities({"NET_BIND_SERVICE"}, {"ALL"}, false);
  EXPECT_EQ(*caps, (Strings{"CAP_NET_BIND_SERVICE"}));
  caps = EffectiveCapabilities({"ALL"}, {"SYS_ADMIN"}, false);
  EXPECT_EQ(caps->size(), 40u);
  EXPECT_EQ(EffectiveCapabilities({}, {}, true)->size(), 41u);
  EXPECT_TRUE(EffectiveCapabilities({"FLY"}, {}, false).status().IsInvalidArgument());
}

TEST_F(BuildOciSpecTest, PrivilegedHasNoSeccompOrMaskedPaths) {
  auto spec = Build(R"({"privileged":true})");
  const auto& linux_cfg = spec["linux"].as_object();
  EXPECT_FALSE(linux_cfg.contains("seccomp"));
  EXPECT_FALSE(linux_cfg.contains("maskedPaths"));
  EXPECT_EQ(spec["process"].at("capabilities").at("bounding").as_array().size(), 41u);
  EXPECT_EQ(linux_cfg.at("resources").at("devices").at(0).at("allow"), true);
  EXPECT_FALSE(linux_cfg.at("devices").as_array().empty());  // /dev/null at least
}

TEST_F(BuildOciSpecTest, InitProcessWrapsTheCommand) {
  if (access("/usr/bin/tini-static", X_OK) != 0) GTEST_SKIP() << "tini not installed";
  auto spec = Build(R"({"command":["sleep","5"],"linuxParameters":{"initProcessEnabled":true}})");
  EXPECT_EQ(ToStrings(spec["process"].at("args")),
            (Strings{"/sbin/docker-init", "--", "sleep", "5"}));
  const auto& last = spec["mounts"].as_array().back();
  EXPECT_EQ(last.at("destination"), "/sbin/docker-init");
  EXPECT_EQ(last.at("source"), "/usr/bin/tini-static");
}

TEST(SeccompTest, ResolvesCapsAndArchesLikeDockerd) {
  auto profile = DefaultSeccompProfile();
  if (!profile.ok()) GTEST_SKIP() << profile.status().ToString();
  auto has = [](const json::object& s, std::string_view name, std::string_view action) {
    for (const auto& r : s.at("syscalls").as_array()) {
      if (r.at("action").as_string() != action) continue;
      for (const auto& n : r.at("names").as_array()) {
        if (n.as_string() == name) return true;
      }
    }
    return false;
  };
  auto plain = TranslateSeccompProfile(**profile, DefaultCapabilities(), "amd64", "6.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->at("defaultAction"), "SCMP_ACT_ERRNO");
  EXPECT_EQ(plain->at("architectures").at(0), "SCMP_ARCH_X86_64");
  EXPECT_EQ(plain->at("architectures").as_array().size(), 3u);
  EXPECT_TRUE(has(*plain, "arch_prctl", "SCMP_ACT_ALLOW"));
  EXPECT_FALSE(has(*plain, "s390_runtime_instr", "SCMP_ACT_ALLOW"));
  EXPECT_TRUE(has(*plain, "chroot", "SCMP_ACT_ALLOW"));  // SYS_CHROOT is a default cap
  EXPECT_TRUE(has(*plain, "bpf", "SCMP_ACT_ERRNO"));
  EXPECT_FALSE(has(*plain, "bpf", "SCMP_ACT_ALLOW"));
  for (const auto& r : plain->at("syscalls").as_array()) {
    EXPECT_FALSE(r.as_object().contains("includes"));
    EXPECT_FALSE(r.as_object().contains("comment"));
  }

  Strings admin = DefaultCapabilities();
  admin.push_back("CAP_SYS_ADMIN");
  auto with_admin = TranslateSeccompProfile(**profile, admin, "amd64");
  EXPECT_TRUE(has(*with_admin, "bpf", "SCMP_ACT_ALLOW"));
  EXPECT_FALSE(has(*with_admin, "bpf", "SCMP_ACT_ERRNO"));
}

}  // namespace
}  // namespace wharf::agent
