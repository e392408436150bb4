// Running nftables scripts: the one way wharf's tables are written (the node's egress and
// security groups, agent/network/; the load balancers' public addresses, lb/).
//
// A script goes to `nft -f -` on stdin, so nft applies it as one transaction, whole or not at
// all: a refused script leaves the table in force as it was. Each caller keeps its own idea of
// what it applied and when to try again; this only runs nft and words its failures alike.
// Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "base/process.h"
#include "base/status.h"

namespace wharf::net {

// Whether nft is installed (on PATH or in the sbin directories).
bool HaveNft();

// Runs `script` with `nft -f -` through `runner`. FailedPrecondition("nft not found: " +
// `without_nft`) when nft is missing (`without_nft` says what then does not work),
// Internal("nft -f: <nft's stderr>") when nft refuses the script, the runner's error when nft
// cannot be run (Unavailable after its 30 s).
Status ApplyNft(CommandRunner& runner, std::string_view script, std::string_view without_nft);

// The script that removes `table` ("<family> <name>") whether or not it exists: declaring it
// first makes the delete succeed either way. What a script that replaces a table whole
// starts with.
std::string NftDeleteTable(std::string_view table);

// Removes `table` ("<family> <name>"). OK when nft is missing: then no table was ever made.
Status RemoveNftTable(CommandRunner& runner, std::string_view table);

}  // namespace wharf::net
