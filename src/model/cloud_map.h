// AWS Cloud Map (servicediscovery) records as stored (docs/STATE.md, servicediscovery/), and
// the rules Cloud Map applies to them: which DNS records a service may have in which kind of
// namespace, which attributes an instance must carry for them, what an operation's status is
// at a given time, which instances DiscoverInstances returns, and the DNS answers a name has.
//
// Records are the shapes the Get calls return, with the fields AWS does not show kept under
// names no shape has ("Tags", "Vpc", "ServiceAttributes", "InstancesRevision",
// "HealthStatus", "SubmitDate", a namespace's creating "OperationId"); Present* drop them.
//
// Pure; thread-safe as values.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::model {

// Namespace types and the DNS record types Cloud Map knows.
inline constexpr std::string_view kHttpNamespace = "HTTP";
inline constexpr std::string_view kPrivateDnsNamespace = "DNS_PRIVATE";
inline constexpr std::string_view kPublicDnsNamespace = "DNS_PUBLIC";

// The attributes Cloud Map reads (the rest are the user's own).
inline constexpr std::string_view kInstanceIpv4 = "AWS_INSTANCE_IPV4";
inline constexpr std::string_view kInstanceIpv6 = "AWS_INSTANCE_IPV6";
inline constexpr std::string_view kInstancePort = "AWS_INSTANCE_PORT";
inline constexpr std::string_view kInstanceCname = "AWS_INSTANCE_CNAME";
inline constexpr std::string_view kAliasDnsName = "AWS_ALIAS_DNS_NAME";
inline constexpr std::string_view kInitHealthStatus = "AWS_INIT_HEALTH_STATUS";

inline constexpr size_t kMaxInstanceAttributes = 30;
inline constexpr size_t kMaxMultivalueAnswers = 8;  // Route 53's multivalue answer routing
// How long an operation stays SUBMITTED before it shows SUCCESS: the work is done when the
// request is answered, but clients (terraform, the CLI's waiters) poll GetOperation and
// expect to see it go through its states.
inline constexpr double kOperationSettleSeconds = 0.5;

// A service's DnsConfig checked against its namespace's type (Cloud Map's InvalidInput
// rules): none in an HTTP namespace; one to two records of distinct types; CNAME alone and
// only with WEIGHTED routing; SRV with A or AAAA or alone. InvalidArgument with the message.
Status CheckDnsConfig(std::string_view namespace_type, const boost::json::object& dns_config);

// RegisterInstance's attributes checked against the service (InvalidArgument): at most 30;
// the IP, port or CNAME attribute each of its DNS records needs; AWS_INSTANCE_PORT a port
// number; AWS_INIT_HEALTH_STATUS only HEALTHY or UNHEALTHY; AWS_ALIAS_DNS_NAME refused
// (wharf has no Route 53 alias records).
Status CheckInstanceAttributes(const boost::json::object& service, const boost::json::object& attributes);

// The instance's health as Cloud Map reports it: the custom status it was given (or
// AWS_INIT_HEALTH_STATUS at registration) for a service with HealthCheckCustomConfig;
// UNKNOWN for a service without health checks (DiscoverInstances and DNS answer with all).
std::string InstanceHealth(const boost::json::object& service, const boost::json::object& instance);

// The operation as GetOperation shows it at `now` (seconds since the epoch).
boost::json::object PresentOperation(const boost::json::object& operation, double now);
std::string OperationStatusAt(const boost::json::object& operation, double now);

// A stored namespace or service without the fields only wharf reads.
boost::json::object PresentNamespace(const boost::json::object& ns);
boost::json::object PresentService(const boost::json::object& service);

// DiscoverInstances' choice: instances whose attributes hold every QueryParameter; of
// those, the ones that also hold every OptionalParameter if any do; then by health
// (HEALTHY, UNHEALTHY, ALL, HEALTHY_OR_ELSE_ALL); at most `max_results`.
struct DiscoverQuery {
  std::map<std::string, std::string> query_parameters;
  std::map<std::string, std::string> optional_parameters;
  std::string health_status = "HEALTHY";
  size_t max_results = 100;
};
std::vector<boost::json::object> DiscoverInstances(const boost::json::object& service,
                                                   const std::vector<boost::json::object>& instances,
                                                   const DiscoverQuery& query);

// One DNS answer a Cloud Map service gives for its name (what Route 53 would hold): an A
// or AAAA address, a CNAME target, or an SRV record "priority weight port target".
struct DnsAnswer {
  std::string type;  // A, AAAA, CNAME, SRV
  int64_t ttl = 0;
  std::string value;
};
// The answers of `type` for the service's name: no UNHEALTHY instance; with MULTIVALUE
// routing at most 8 of them, with WEIGHTED one (`pick` chooses which, so callers pass a
// random number). SRV targets are "<instance id>.<service>.<namespace>" as Cloud Map names
// them, and the same name has the instance's A/AAAA answer.
// Every answer DnsAnswers chooses from, and how many it keeps (the routing policy's).
std::vector<DnsAnswer> AllDnsAnswers(const boost::json::object& ns, const boost::json::object& service,
                                     const std::vector<boost::json::object>& instances, std::string_view type);
size_t DnsAnswersKept(const boost::json::object& service);
std::vector<DnsAnswer> DnsAnswers(const boost::json::object& ns, const boost::json::object& service,
                                  const std::vector<boost::json::object>& instances, std::string_view type,
                                  uint64_t pick);

}  // namespace wharf::model
