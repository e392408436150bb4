// The nf_tables announcements read (pure, NftTableEvents) and, as root, the kernel's own
// (NftWatchHostTest: makes and deletes a table of its own, so it runs under the e2e lock).
#include "net/nft_watch.h"

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

}  // namespace
}  // namespace wharf::net
