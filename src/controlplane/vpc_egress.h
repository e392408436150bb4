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
  // The way out is an internet gateway (not a NAT gateway).
  bool via_internet_gateway = false;
};

// `route_tables`: ec2/route-tables/ records; `nat_gateways`: ec2/nat-gateways/ records.
EniEgress ResolveEniEgress(const std::vector<boost::json::object>& route_tables,
                           const std::vector<boost::json::object>& nat_gateways, std::string_view subnet_id,
                           std::string_view vpc_id, std::string_view public_ip);

// What a Fargate task's image pull reaches through its ENI (model::TaskAssignment::Eni's
// pulls_from): "any" registry with a way out, "ecr" through VPC endpoints only, "" none.
// A public subnet's task without a public address pulls ("any"), where AWS's times out: the
// default VPC is public and every task run without assignPublicIp is in it.
std::string PullReach(const EniEgress& way, bool ecr_endpoints);

// The AWS services (their short names: "ecr.api", "secretsmanager", "ssm", "s3", ...) a task
// in `subnet_id` reaches through its VPC's endpoints: interface endpoints available with
// private DNS on, gateway endpoints routed from the subnet's route table. Sorted, unique.
// `private_dns`: the VPC's enableDnsSupport and enableDnsHostnames are both on
// (PrivateDnsWorks); without them no interface endpoint's name answers in the VPC.
std::vector<std::string> EndpointServices(const std::vector<boost::json::object>& endpoints,
                                          const std::vector<boost::json::object>& route_tables,
                                          std::string_view subnet_id, std::string_view vpc_id,
                                          bool private_dns = true);

// Whether interface endpoints' private DNS answers in the VPC of record `vpc` (ec2/vpcs/):
// AWS needs enableDnsSupport and enableDnsHostnames. A VPC without a record (older data): yes.
bool PrivateDnsWorks(const boost::json::object* vpc);

// Whether a Fargate task in `subnet_id` reaches ECR through VPC endpoints, as AWS documents
// for a subnet with no way out: interface endpoints for ecr.api (the token) and ecr.dkr (the
// registry) in its VPC, available, with private DNS on (without it the registry's name
// resolves to its public addresses, which the subnet cannot reach), and an s3 gateway
// endpoint routed from the subnet's route table (the layers are S3 objects). Only ECR: any
// other registry still needs the way out. `endpoints`: ec2/vpc-endpoints/ records.
// An interface endpoint of the ENI's VPC, as the ENI reaches it by its own names or the
// service's private DNS name (model::TaskAssignment::Eni::Endpoint).
struct EndpointInterface {
  std::string service;  // the short name: "ecr.dkr", "secretsmanager", ...
  std::string address;  // its interface in the ENI's subnet, else in the first of its subnets
  // Every interface's address: the resolver answers them all (vpc_names.cc), so the node
  // routes and redirects them all, whichever the client picks.
  std::vector<std::string> addresses{};
  bool admitted = false;  // its groups admit the ENI on TCP 443
  std::string vpc_endpoint_id{};
  bool private_dns = false;  // the service's private DNS name answers this endpoint in the VPC
};

// The port an interface endpoint answers on (HTTPS).
inline constexpr int kEndpointPort = 443;

// The available interface endpoints of `vpc_id` that have an interface, every one: their own
// vpce-... names answer in any VPC, whatever their private DNS (controlplane/vpc_names.cc).
// `private_dns` marks, of each service, the endpoint its private DNS name answers: with the
// endpoint's private DNS on and the VPC's (`vpc_private_dns`, PrivateDnsWorks), the lowest id
// (without it the service's name resolves to its public addresses).
// `admitted`: one of the endpoint's groups (`groups`: ec2/security-groups/ records) has an
// ingress rule for TCP 443 (or all traffic) whose CIDR holds `eni_ip` or whose group is one of
// `eni_groups`, as AWS's endpoint admits a client; otherwise the client's connection times out.
// Sorted by service, then id.
std::vector<EndpointInterface> EndpointInterfaces(const std::vector<boost::json::object>& endpoints,
                                                  const std::vector<boost::json::object>& groups,
                                                  std::string_view subnet_id, std::string_view vpc_id,
                                                  std::string_view eni_ip, const std::vector<std::string>& eni_groups,
                                                  bool vpc_private_dns = true);

bool ReachesEcrThroughEndpoints(const std::vector<boost::json::object>& endpoints,
                                const std::vector<boost::json::object>& route_tables, std::string_view subnet_id,
                                std::string_view vpc_id, bool private_dns = true);

}  // namespace wharf::controlplane
