#include "net/nft_apply.h"

#include <chrono>

namespace wharf::net {

bool HaveNft() { return FindExecutable("nft").ok(); }

Status ApplyNft(CommandRunner& runner, std::string_view script, std::string_view without_nft) {
  auto nft = FindExecutable("nft");
  if (!nft.ok()) return Status::FailedPrecondition("nft not found: " + std::string(without_nft));
  ASSIGN_OR_RETURN(CommandResult r,
                   runner.Run({{*nft, "-f", "-"}, std::nullopt, std::string(script), std::chrono::seconds(30)}));
  if (r.exit_code != 0) return Status::Internal("nft -f: " + r.err);
  return Status::OK();
}

std::string NftDeleteTable(std::string_view table) {
  std::string t(table);
  return "table " + t + "\ndelete table " + t + "\n";
}

Status RemoveNftTable(CommandRunner& runner, std::string_view table) {
  if (!HaveNft()) return Status::OK();
  return ApplyNft(runner, NftDeleteTable(table), "");
}

}  // namespace wharf::net
