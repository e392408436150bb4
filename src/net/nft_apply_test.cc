// The nft runner's words; nft itself is faked (the tables' own tests run the real one).
#include "net/nft_apply.h"

#include <gtest/gtest.h>

#include <vector>

namespace wharf::net {
namespace {

class FakeNft final : public CommandRunner {
 public:
  int exit_code = 0;
  std::vector<Command> runs;
  Result<CommandResult> Run(const Command& command) override {
    runs.push_back(command);
    return CommandResult{exit_code, "", exit_code ? "Error: Could not process rule" : ""};
  }
};

TEST(NftApplyTest, ScriptsGoOnStdinAndRefusalsSayWhatNftSaid) {
  if (!HaveNft()) GTEST_SKIP() << "no nft";
  FakeNft nft;
  ASSERT_TRUE(ApplyNft(nft, "table ip t {}\n", "tests need nftables").ok());
  ASSERT_EQ(nft.runs.size(), 1u);
  EXPECT_TRUE(nft.runs[0].argv[0].ends_with("nft"));
  EXPECT_EQ(std::vector<std::string>(nft.runs[0].argv.begin() + 1, nft.runs[0].argv.end()),
            (std::vector<std::string>{"-f", "-"}));
  EXPECT_EQ(nft.runs[0].stdin_data, "table ip t {}\n");
  nft.exit_code = 1;
  Status refused = ApplyNft(nft, "table ip t {}\n", "tests need nftables");
  EXPECT_TRUE(refused.IsInternal()) << refused.ToString();
  EXPECT_NE(refused.ToString().find("nft -f: Error: Could not process rule"), std::string::npos) << refused.ToString();
  nft.exit_code = 0;
  ASSERT_TRUE(RemoveNftTable(nft, "ip wharf_t").ok());
  EXPECT_EQ(nft.runs.back().stdin_data, "table ip wharf_t\ndelete table ip wharf_t\n");
}

TEST(NftApplyTest, DeletingATableDeclaresItFirst) {
  EXPECT_EQ(NftDeleteTable("inet wharf_1"), "table inet wharf_1\ndelete table inet wharf_1\n");
}

}  // namespace
}  // namespace wharf::net
