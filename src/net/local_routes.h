// wharf's own `local <address>/32 dev lo` routes in VPC routing tables: the addresses the host
// answers ARP for on a VPC's bridges without owning them on an interface (load balancers'
// interface addresses, proto 77; VPC endpoints' interface addresses, proto 78). A route is
// named "<table> <address>". The routing protocol number tells ours from anyone else's after
// a restart.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::net {

// The `ip -force -batch` script that makes `wanted` the routes of ours with protocol `proto`:
// deletes those of `applied` no longer wanted, and writes those not in `applied` (every wanted
// one with `rewrite`: something else may have removed them). "" when there is nothing to do.
// Pure.
std::string LocalRouteScript(const std::set<std::string>& wanted, const std::set<std::string>& applied, int proto,
                             bool rewrite = false);

// The `ip -4 -o route show table all type local dev lo proto <N>` command's argv after `ip`.
std::vector<std::string> ShowLocalRoutesArgs(int proto);

// The "<table> <address>" of each `local` route in that command's output that is in a VPC's
// table (model::VpcRouteTable's range). Pure.
std::set<std::string> ParseLocalRoutes(std::string_view shown);

}  // namespace wharf::net
