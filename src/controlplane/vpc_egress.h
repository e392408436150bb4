// How an awsvpc ENI leaves its VPC, as AWS decides it from the subnet's route table (issue 13
// part 3): the decision behind the assignment feed's "egress" and "outsideAddress"
// (model/task_assignment.h), made on every answer, so that a route change reaches running
// tasks. Pure: records in, a decision out.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::controlplane {

struct EniEgress {
  // The subnet's route table sends 0.0.0.0/0 to an internet gateway or a NAT gateway: the
  // node routes its packets out of the VPC (which ENIs may leave is `outside_address`'s).
  bool routes_outside = false;
  // The source address the ENI's packets leave with: its public address behind an internet
  // gateway (none without one: AWS's public subnet gives a task without a public IP no way
  // out), the NAT gateway's elastic IP behind a NAT gateway that holds one. "": nothing
  // outside the VPC answers it.
  std::string outside_address;
};

// `route_tables`: ec2/route-tables/ records; `nat_gateways`: ec2/nat-gateways/ records.
EniEgress ResolveEniEgress(const std::vector<boost::json::object>& route_tables,
                           const std::vector<boost::json::object>& nat_gateways, std::string_view subnet_id,
                           std::string_view vpc_id, std::string_view public_ip);

}  // namespace wharf::controlplane
