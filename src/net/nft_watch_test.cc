// The nf_tables announcements read (pure, NftTableEvents), the owner's nft runs (NftRuns,
// NftRunRecorder) and, as root, the kernel's own (NftWatchHostTest: makes and deletes a table
// of its own, so it runs under the e2e lock).
#include "net/nft_watch.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <vector>

#include "base/mutex.h"
#include "base/process.h"

namespace wharf::net {
namespace {

// One nf_tables message as the kernel sends it: a table's (family, name), or none for NEWGEN.
std::string Message(int type, uint8_t family = 0, const std::string& table = "") {
  std::string attrs;
  if (!table.empty()) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + table.size() + 1), NFTA_TABLE_NAME};
    attrs.append(reinterpret_cast<const char*>(&a), sizeof a);
    attrs += table;
    attrs.push_back('\0');
    attrs.resize(NLA_ALIGN(attrs.size()), '\0');
  }
  nfgenmsg g{family, NFNETLINK_V0, 0};
  std::string body(reinterpret_cast<const char*>(&g), sizeof g);
  body.resize(NLMSG_ALIGN(body.size()), '\0');
  body += attrs;
  nlmsghdr h{static_cast<uint32_t>(NLMSG_HDRLEN + body.size()), static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | type),
             0, 0, 0};
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  out += body;
  out.resize(NLMSG_ALIGN(out.size()), '\0');
  return out;
}

constexpr uint8_t kIp = 2, kInet = 1;

// A NEWGEN as the kernel ends a transaction of process `pid` with: the socket's port id in the
// header, the pid in NFTA_GEN_PROC_PID (big-endian), the name in NFTA_GEN_PROC_NAME.
std::string NewGen(uint32_t port_id, uint32_t pid) {
  std::string attrs;
  uint32_t be = htonl(pid);
  nlattr a{static_cast<uint16_t>(NLA_HDRLEN + sizeof be), NFTA_GEN_PROC_PID};
  attrs.append(reinterpret_cast<const char*>(&a), sizeof a);
  attrs.append(reinterpret_cast<const char*>(&be), sizeof be);
  nlattr n{static_cast<uint16_t>(NLA_HDRLEN + 4), NFTA_GEN_PROC_NAME};
  attrs.append(reinterpret_cast<const char*>(&n), sizeof n);
  attrs.append("nft", 4);
  nfgenmsg g{0, NFNETLINK_V0, 0};
  std::string body(reinterpret_cast<const char*>(&g), sizeof g);
  body.resize(NLMSG_ALIGN(body.size()), '\0');
  body += attrs;
  nlmsghdr h{static_cast<uint32_t>(NLMSG_HDRLEN + body.size()),
             static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN), 0, 0, port_id};
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  return out + body;
}

TEST(NftTableEventsTest, ATableDeletedForGoodIsNamedAtTheTransactionsEnd) {
  NftTableEvents events({"ip wharf_egress_1", "inet wharf_1"});
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELTABLE, kIp, "wharf_egress_1")).empty()) << "not before its end";
  EXPECT_EQ(events.Read(Message(NFT_MSG_DELTABLE, kInet, "wharf_1") + Message(NFT_MSG_DELTABLE, kIp, "someone_else") +
                        Message(NFT_MSG_NEWGEN)),
            (std::set<std::string>{"ip wharf_egress_1", "inet wharf_1"}));
  EXPECT_TRUE(events.Read(Message(NFT_MSG_NEWGEN)).empty()) << "named once";
  // The same name in another family is another table.
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELTABLE, kInet, "wharf_egress_1") + Message(NFT_MSG_NEWGEN)).empty());
}

TEST(NftTableEventsTest, ATableReplacedWholeIsNoLoss) {
  NftTableEvents events({"ip wharf_egress_1"});
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELTABLE, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWTABLE, kIp, "wharf_egress_1") +
                          Message(NFT_MSG_NEWGEN))
                  .empty());
}

TEST(NftTableEventsTest, ATableEmptiedIsNamedUnlessTheSameTransactionAddsToIt) {
  NftTableEvents events({"ip wharf_egress_1", "inet wharf_vpc_1"});
  // `nft flush table`: its rules deleted, nothing added.
  EXPECT_EQ(events.Read(Message(NFT_MSG_DELRULE, kIp, "wharf_egress_1") + Message(NFT_MSG_DELRULE, kIp, "other") +
                        Message(NFT_MSG_NEWGEN)),
            std::set<std::string>{"ip wharf_egress_1"});
  // A chain deleted.
  EXPECT_EQ(events.Read(Message(NFT_MSG_DELRULE, kInet, "wharf_vpc_1") + Message(NFT_MSG_DELCHAIN, kInet, "wharf_vpc_1") +
                        Message(NFT_MSG_NEWGEN)),
            std::set<std::string>{"inet wharf_vpc_1"});
  // wharf's VPC table script: chains flushed and their rules added again.
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELRULE, kInet, "wharf_vpc_1") + Message(NFT_MSG_NEWRULE, kInet, "wharf_vpc_1") +
                          Message(NFT_MSG_NEWGEN))
                  .empty());
  // wharf's element changes.
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELSETELEM, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWGEN)).empty());
  // Replaced whole: its rules and chains go with it, and come back.
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELRULE, kIp, "wharf_egress_1") + Message(NFT_MSG_DELCHAIN, kIp, "wharf_egress_1") +
                          Message(NFT_MSG_DELTABLE, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWTABLE, kIp, "wharf_egress_1") +
                          Message(NFT_MSG_NEWGEN))
                  .empty());
}

// Linux 6.3's `nft destroy ...` (NFT_MSG_DESTROYTABLE 26, DESTROYCHAIN 27, DESTROYRULE 28,
// DESTROYSETELEM 30), which the build's headers may lack: a deletion as `nft delete ...`.
TEST(NftTableEventsTest, ADestroyIsADeletion) {
  NftTableEvents events({"ip wharf_egress_1", "inet wharf_vpc_1"});
  EXPECT_EQ(events.Read(Message(26, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWGEN)),
            std::set<std::string>{"ip wharf_egress_1"});
  EXPECT_EQ(events.Read(Message(28, kInet, "wharf_vpc_1") + Message(27, kInet, "wharf_vpc_1") + Message(NFT_MSG_NEWGEN)),
            std::set<std::string>{"inet wharf_vpc_1"});
  EXPECT_TRUE(events.Read(Message(26, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWTABLE, kIp, "wharf_egress_1") +
                          Message(NFT_MSG_NEWGEN))
                  .empty())
      << "replaced whole";
  EXPECT_TRUE(events.Read(Message(30, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWGEN)).empty()) << "elements";
}

TEST(NftTableEventsTest, MalformedMessagesAreSkipped) {
  NftTableEvents events({"ip t"});
  std::string cut = Message(NFT_MSG_DELTABLE, kIp, "t");
  EXPECT_TRUE(events.Read(cut.substr(0, cut.size() - 6)).empty());
  EXPECT_TRUE(events.Read(std::string(3, '\xff')).empty());
  std::string bad_attr = cut;
  bad_attr[NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg))] = '\x7f';  // nla_len past the message
  EXPECT_TRUE(events.Read(bad_attr + Message(NFT_MSG_NEWGEN)).empty());
}

// Announcements lost (ENOBUFS): only the watched tables the kernel's list lacks are gone (all
// without a list), and a deletion half read before the loss is not named later.
TEST(NftTableEventsTest, AfterALossOnlyMissingTablesAreGone) {
  NftTableEvents events({"ip wharf_egress_1", "inet wharf_1"});
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELTABLE, kIp, "wharf_egress_1")).empty());
  EXPECT_EQ(events.Lost(std::set<std::string>{"ip wharf_egress_1", "ip someone_else"}),
            std::set<std::string>{"inet wharf_1"});
  EXPECT_TRUE(events.Read(Message(NFT_MSG_NEWGEN)).empty()) << "the half-read transaction is forgotten";
  EXPECT_TRUE(events.Lost(std::set<std::string>{"ip wharf_egress_1", "inet wharf_1"}).empty());
  EXPECT_EQ(events.Lost(std::nullopt), (std::set<std::string>{"ip wharf_egress_1", "inet wharf_1"}));
}

// With the owner's nft runs known, a transaction of anyone else's that touches a watched
// table names it, whatever it did (a table deleted and made again empty, elements flushed);
// the owner's own, known by its socket's port id or its pid, are judged as without them.
TEST(NftTableEventsTest, AForeignTransactionTouchingATableNamesIt) {
  ManualClock clock(std::chrono::system_clock::now());
  NftRuns own(clock);
  own.Started(4242);
  NftTableEvents events({"ip wharf_egress_1", "inet wharf_1"}, &own);
  const std::string replaced = Message(NFT_MSG_DELTABLE, kIp, "wharf_egress_1") + Message(NFT_MSG_NEWTABLE, kIp, "wharf_egress_1");
  EXPECT_TRUE(events.Read(replaced + NewGen(4242, 4242)).empty()) << "the owner's: replaced whole";
  EXPECT_TRUE(events.Read(replaced + NewGen(4242, 99)).empty()) << "the owner's by its port id (a pid namespace)";
  EXPECT_TRUE(events.Read(replaced + NewGen(77, 4242)).empty()) << "the owner's by its pid (another port id)";
  EXPECT_EQ(events.Read(replaced + NewGen(77, 77)), std::set<std::string>{"ip wharf_egress_1"}) << "someone else's";
  EXPECT_EQ(events.Read(Message(NFT_MSG_DELSETELEM, kInet, "wharf_1") + NewGen(77, 77)), std::set<std::string>{"inet wharf_1"})
      << "someone else's element change";
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELSETELEM, kInet, "wharf_1") + NewGen(4242, 4242)).empty()) << "the owner's";
  EXPECT_TRUE(events.Read(Message(NFT_MSG_DELTABLE, kIp, "other") + Message(NFT_MSG_NEWRULE, kIp, "other") + NewGen(77, 77))
                  .empty())
      << "another table";
  EXPECT_EQ(events.Read(Message(NFT_MSG_DELTABLE, kIp, "wharf_egress_1") + NewGen(4242, 4242)),
            std::set<std::string>{"ip wharf_egress_1"})
      << "the owner's deletion is still one";
  // A NEWGEN with neither (port id 0, no NFTA_GEN_PROC_PID): not the owner's.
  EXPECT_EQ(events.Read(replaced + Message(NFT_MSG_NEWGEN)), std::set<std::string>{"ip wharf_egress_1"});
}

TEST(NftRunsTest, APidIsOursWhileItRunsAndForAWhileAfter) {
  ManualClock clock(std::chrono::system_clock::now());
  NftRuns runs(clock);
  EXPECT_FALSE(runs.Ours(10));
  runs.Started(10);
  clock.Advance(std::chrono::hours(1));
  EXPECT_TRUE(runs.Ours(10)) << "running";
  runs.Ended(10);
  clock.Advance(NftRuns::kKeepEnded - std::chrono::milliseconds(1));
  EXPECT_TRUE(runs.Ours(10));
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(runs.Ours(10));
  runs.Started(11);
  runs.Ended(11);  // and drops 10's
  EXPECT_FALSE(runs.Ours(10));
  EXPECT_FALSE(runs.Ours(0)) << "never the kernel's";
}

// The owner's pids are compared with the kernel's only in the initial pid namespace.
TEST(NftRunsTest, OnlyTheInitialPidNamespaceHasOnePid) {
  EXPECT_TRUE(InInitialPidNamespace("Name:\tx\nPid:\t2016\nNSpid:\t2016\nNSpgid:\t1\n"));
  EXPECT_FALSE(InInitialPidNamespace("Name:\tx\nNSpid:\t53210\t7\nNSpgid:\t1\n")) << "a container's";
  EXPECT_FALSE(InInitialPidNamespace("Name:\tx\nPid:\t7\n")) << "not told: not assumed";
}

// A runner that says a child started, with pids from 100, and what it was given.
class FakeStarts final : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& command) override {
    ran.push_back(command.argv[0]);
    if (command.started) command.started(next_pid);
    seen_during = runs != nullptr && runs->Ours(next_pid);
    ++next_pid;
    return CommandResult{0, "", ""};
  }
  const NftRuns* runs = nullptr;
  int next_pid = 100;
  bool seen_during = false;
  std::vector<std::string> ran;
};

TEST(NftRunRecorderTest, RecordsNftChildrenBeforeTheyRun) {
  ManualClock clock(std::chrono::system_clock::now());
  NftRuns runs(clock);
  FakeStarts inner;
  inner.runs = &runs;
  NftRunRecorder recorder(inner, runs);
  int told = 0;
  Command nft{{"/usr/sbin/nft", "-f", "-"}, std::nullopt, "flush ruleset\n"};
  nft.started = [&](int pid) { told = pid; };
  ASSERT_TRUE(recorder.Run(nft).ok());
  EXPECT_TRUE(inner.seen_during) << "ours from its start";
  EXPECT_EQ(told, 100) << "the caller's own callback still runs";
  EXPECT_TRUE(runs.Ours(100)) << "and just after its end";
  ASSERT_TRUE(recorder.Run({{"iptables", "-L"}, std::nullopt, ""}).ok());
  EXPECT_FALSE(runs.Ours(101)) << "only nft's";
}

// The kernel's announcements, as root with nft: a table deleted is named within a second, a
// table replaced whole in one script is not.
TEST(NftWatchHostTest, TheKernelTellsADeletedTable) {
  if (geteuid() != 0 || !FindExecutable("nft").ok()) GTEST_SKIP() << "needs root and nft";
  const std::string table = "ip wharf_watch_test_" + std::to_string(getpid());
  Mutex mu;
  CondVar cv;
  std::set<std::string> seen;
  auto watch = NftTableWatch::Start({table}, [&](const std::set<std::string>& gone) {
    MutexLock lock(mu);
    seen.insert(gone.begin(), gone.end());
    cv.SignalAll();
  });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  auto nft = [](const std::string& script) {
    ProcessRunner runner;
    auto r = runner.Run({{*FindExecutable("nft"), "-f", "-"}, std::nullopt, script, std::chrono::seconds(10)});
    return r.ok() && r->exit_code == 0;
  };
  struct Cleanup {  // the table goes even when the test fails half way
    std::function<bool(const std::string&)> nft;
    std::string table;
    ~Cleanup() { nft("table " + table + "\ndelete table " + table + "\n"); }
  } cleanup{nft, table};
  ASSERT_TRUE(nft("table " + table + " {\n  chain c {\n    type filter hook input priority 0; policy accept;\n  }\n}\n"));
  auto listed = ListNftTables();
  ASSERT_TRUE(listed.has_value()) << "the kernel's tables, dumped";
  EXPECT_TRUE(listed->count(table)) << "made, so listed";
  ASSERT_TRUE(nft("table " + table + "\ndelete table " + table + "\ntable " + table + " {}\n"));  // replaced whole
  {
    MutexLock lock(mu);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (seen.empty() && cv.WaitUntil(mu, deadline)) {
    }
    EXPECT_TRUE(seen.empty()) << "a table replaced whole is no loss";
  }
  ASSERT_TRUE(nft("table " + table + " {\n  chain c {\n    type filter hook input priority 0; policy accept;\n"
                  "    counter\n  }\n}\n"));
  auto flushed = std::chrono::steady_clock::now();
  ASSERT_TRUE(nft("flush table " + table + "\n"));  // emptied, not deleted
  {
    MutexLock lock(mu);
    while (seen.empty() && cv.WaitUntil(mu, flushed + std::chrono::seconds(1))) {
    }
    EXPECT_EQ(seen, std::set<std::string>{table}) << "a table flushed is named";
    seen.clear();
  }
  auto deleted = std::chrono::steady_clock::now();
  ASSERT_TRUE(nft("delete table " + table + "\n"));
  MutexLock lock(mu);
  while (seen.empty() && cv.WaitUntil(mu, deleted + std::chrono::seconds(1))) {
  }
  EXPECT_EQ(seen, std::set<std::string>{table});
  listed = ListNftTables();
  ASSERT_TRUE(listed.has_value());
  EXPECT_FALSE(listed->count(table)) << "deleted, so no longer listed";
}

// As root: a table deleted and made again empty in one transaction by someone else (an
// `nft -f` of the test's own) is named within a second; the same through the owner's
// recorder is not.
TEST(NftWatchHostTest, TheKernelNamesWhoChangedATable) {
  if (geteuid() != 0 || !FindExecutable("nft").ok()) GTEST_SKIP() << "needs root and nft";
  const std::string table = "ip wharf_watch_test_" + std::to_string(getpid());
  Mutex mu;
  CondVar cv;
  std::set<std::string> seen;
  SystemClock clock;
  NftRuns own(clock);
  auto watch = NftTableWatch::Start(
      {table},
      [&](const std::set<std::string>& gone) {
        MutexLock lock(mu);
        seen.insert(gone.begin(), gone.end());
        cv.SignalAll();
      },
      &own);
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  ProcessRunner processes;
  NftRunRecorder owner(processes, own);
  auto nft = [](CommandRunner& runner, const std::string& script) {
    auto r = runner.Run({{*FindExecutable("nft"), "-f", "-"}, std::nullopt, script, std::chrono::seconds(10)});
    return r.ok() && r->exit_code == 0;
  };
  struct Cleanup {
    std::function<bool(CommandRunner&, const std::string&)> nft;
    std::string table;
    ~Cleanup() {
      ProcessRunner runner;
      nft(runner, "table " + table + "\ndelete table " + table + "\n");
    }
  } cleanup{nft, table};
  const std::string whole = "table " + table + "\ndelete table " + table + "\ntable " + table +
                            " {\n  set s { type ipv4_addr; elements = { 10.0.0.1 } }\n}\n";
  ASSERT_TRUE(nft(owner, whole));
  ASSERT_TRUE(nft(owner, "table " + table + "\ndelete table " + table + "\ntable " + table + " {}\n"));
  ASSERT_TRUE(nft(owner, whole));
  ASSERT_TRUE(nft(owner, "flush set " + table + " s\n"));
  {
    MutexLock lock(mu);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (seen.empty() && cv.WaitUntil(mu, deadline)) {
    }
    EXPECT_TRUE(seen.empty()) << "the owner's own changes";
  }
  ProcessRunner someone_else;
  auto replaced = std::chrono::steady_clock::now();
  ASSERT_TRUE(nft(someone_else, "table " + table + "\ndelete table " + table + "\ntable " + table + " {}\n"));
  {
    MutexLock lock(mu);
    while (seen.empty() && cv.WaitUntil(mu, replaced + std::chrono::seconds(1))) {
    }
    EXPECT_EQ(seen, std::set<std::string>{table}) << "replaced whole, empty, by someone else";
    seen.clear();
  }
  ASSERT_TRUE(nft(owner, whole));
  auto flushed = std::chrono::steady_clock::now();
  ASSERT_TRUE(nft(someone_else, "flush set " + table + " s\n"));
  MutexLock lock(mu);
  while (seen.empty() && cv.WaitUntil(mu, flushed + std::chrono::seconds(1))) {
  }
  EXPECT_EQ(seen, std::set<std::string>{table}) << "a set flushed by someone else";
}

}  // namespace
}  // namespace wharf::net
