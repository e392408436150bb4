// Listeners: CreateListener, DescribeListeners, ModifyListener, DeleteListener,
// Describe/ModifyListenerAttributes.
#include "api/elbv2/attributes.h"
#include "api/elbv2/handlers.h"
#include "model/load_balancer.h"

namespace wharf::api::elbv2 {

namespace {

constexpr size_t kMaxListenersPerLoadBalancer = 50;

std::optional<AwsError> CheckProtocol(const std::string& protocol) {
  if (protocol == "HTTP") return std::nullopt;
  if (protocol == "HTTPS") {
    return InvalidConfiguration(
        "wharf supports only HTTP listeners; HTTPS listeners need certificates, "
        "which wharf does not manage yet");
  }
  return AwsError::Client(
      "UnsupportedProtocol",
      "Protocol '" + protocol + "' is not supported for load balancer type 'application'");
}

// A port wharf itself holds (Elbv2Deps::reserved_ports): the client's error, else none.
std::optional<AwsError> ReservedPort(const Elbv2Deps& deps, int64_t port) {
  std::map<uint16_t, std::string> held = deps.held_ports ? deps.held_ports() : std::map<uint16_t, std::string>{};
  held.insert(deps.reserved_ports.begin(), deps.reserved_ports.end());
  auto it = held.find(static_cast<uint16_t>(port));
  if (it == held.end()) return std::nullopt;
  return InvalidConfiguration("Port " + std::to_string(port) + " is used by wharf itself (" + it->second +
                              "): a listener cannot take it");
}

// Undoes a port bound for a listener that was not committed.
class PortGuard {
 public:
  PortGuard(lb::DataPlaneControl& data_plane, std::string arn)
      : data_plane_(data_plane), arn_(std::move(arn)) {}
  ~PortGuard() {
    if (!opened_ || committed_) return;
    if (previous_port_) {
      data_plane_.OpenListener(arn_, *previous_port_).ok();  // back where it was; best effort
    } else {
      data_plane_.CloseListener(arn_);
    }
  }
  // Binds `port` once per guard. On failure, the client's error.
  std::optional<AwsError> Open(uint16_t port, const std::string& bind_address) {
    if (opened_) return std::nullopt;
    Status s = data_plane_.OpenListener(arn_, port);
    if (!s.ok()) {
      return InvalidConfiguration("Port " + std::to_string(port) + " cannot be bound on " +
                                  (bind_address.empty() ? std::string("this host") : bind_address) +
                                  " for the listener: " + s.message());
    }
    opened_ = true;
    return std::nullopt;
  }
  void set_previous_port(uint16_t port) { previous_port_ = port; }
  void Commit() { committed_ = true; }

 private:
  lb::DataPlaneControl& data_plane_;
  std::string arn_;
  std::optional<uint16_t> previous_port_;
  bool opened_ = false;
  bool committed_ = false;
};

// Another listener holding `port`, if any (every listener shares the data plane's address).
Result<std::string> PortHolder(store::Store& store, int64_t port, int64_t& claim_revision) {
  ASSIGN_OR_RETURN(auto claim, ReadRecord(store, PortKey(port)));
  claim_revision = claim ? claim->mod_revision : 0;
  return claim ? GetString(claim->value, "listenerArn") : std::string();
}

json::object Present(const json::object& record) { return GetObject(record, "listener"); }

}  // namespace

Outcome CreateListener(Context& c, const RequestContext&, object& in) {
  std::string lb_arn = GetString(in, "LoadBalancerArn");
  std::string protocol = GetString(in, "Protocol", "HTTP");
  if (auto err = CheckProtocol(protocol)) return *err;
  auto port = GetInt(in, "Port");
  if (!port) return ValidationError("A listener port must be specified");
  if (auto err = CheckNewTags(GetArray(in, "Tags"))) return *err;
  auto lb_parts = ArnParts(c.deps, lb_arn);
  if (lb_parts.size() != 4)
    return ValidationError("'" + lb_arn + "' is not a valid load balancer ARN");
  std::string lb_name = lb_parts[2], listener_id = c.NewHex(16);
  std::string base =
      ArnPrefix(c.deps) + "listener/app/" + lb_name + "/" + lb_parts[3] + "/" + listener_id;
  std::string rule_arn = ArnPrefix(c.deps) + "listener-rule/app/" + lb_name + "/" + lb_parts[3] +
                         "/" + listener_id + "/" + c.NewHex(16);
  PortGuard guard(c.deps.data_plane, base);
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup lb = GetLoadBalancer(c, lb_arn);
    if (auto* err = std::get_if<AwsError>(&lb)) return *err;
    Record& lb_record = std::get<Record>(lb);
    auto checked = CheckActions(c, GetArray(in, "DefaultActions"), lb_arn);
    if (auto* err = std::get_if<AwsError>(&checked)) return *err;
    CheckedActions& actions = std::get<CheckedActions>(checked);
    ASSIGN_OR_FAIL(auto listeners, ReadAll(c.deps.store, ListenersPrefix(lb_name)), Elbv2Error);
    for (const auto& l : listeners) {
      const json::object& other = GetObject(l.value, "listener");
      if (GetInt(other, "Port") != port) continue;
      if (GetString(other, "Protocol") == protocol &&
          GetArray(other, "DefaultActions") == actions.actions) {
        return json::object{
            {"Listeners", json::array{other}}};  // the same listener again: idempotent
      }
      return AwsError::Client(
          "DuplicateListener",
          "A listener already exists on this port for this load balancer '" + lb_arn + "'");
    }
    if (listeners.size() >= kMaxListenersPerLoadBalancer) {
      return AwsError::Client(
          "TooManyListeners",
          "You've reached the limit on the number of listeners per load balancer");
    }
    int64_t claim_revision = 0;
    ASSIGN_OR_FAIL(std::string holder, PortHolder(c.deps.store, *port, claim_revision), Elbv2Error);
    if (!holder.empty()) {
      return InvalidConfiguration(
          "Port " + std::to_string(*port) + " is already used by listener '" + holder +
          "': wharf's load balancers share one address, so a port serves one listener");
    }
    if (auto err = ReservedPort(c.deps, *port)) return *err;
    if (auto err = guard.Open(static_cast<uint16_t>(*port), c.deps.lb_bind_address)) return *err;

    json::object listener{{"ListenerArn", base},
                          {"LoadBalancerArn", lb_arn},
                          {"Port", *port},
                          {"Protocol", protocol},
                          {"DefaultActions", actions.actions}};
    json::object record{{"listener", listener},
                        {"attributes", DefaultAttributes(AttributeOwner::kListener)},
                        {"tags", GetArray(in, "Tags")},
                        {"defaultRuleArn", rule_arn},
                        {"defaultRuleTags", json::array()}};
    std::string key = ListenerKey(lb_name, listener_id);
    store::Txn txn{
        {{key, 0}, {PortKey(*port), 0}},
        {store::Op::Put(key, Serialize(record)),
         store::Op::Put(PortKey(*port), Serialize(json::object{{"listenerArn", base}}))}};
    TouchRecords({lb_record}, txn);
    TouchRecords(actions.target_groups, txn);
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    guard.Commit();
    c.Publish();
    return json::object{{"Listeners", json::array{std::move(listener)}}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeListeners(Context& c, const RequestContext&, object& in) {
  const json::array& arns = GetArray(in, "ListenerArns");
  std::string lb_arn = GetString(in, "LoadBalancerArn");
  if (arns.empty() == lb_arn.empty()) {
    return ValidationError("You must specify either listener ARNs or a load balancer ARN");
  }
  json::array out;
  if (!arns.empty()) {
    for (const auto& arn : arns) {
      Lookup l = GetListener(c, arn.get_string());
      if (auto* err = std::get_if<AwsError>(&l)) return *err;
      out.push_back(Present(std::get<Record>(l).value));
    }
    return json::object{{"Listeners", std::move(out)}};
  }
  Lookup lb = GetLoadBalancer(c, lb_arn);
  if (auto* err = std::get_if<AwsError>(&lb)) return *err;
  std::string prefix = ListenersPrefix(
      GetString(GetObject(std::get<Record>(lb).value, "loadBalancer"), "LoadBalancerName"));
  std::string after;
  if (Has(in, "Marker")) {
    auto marker = ReadMarker(GetString(in, "Marker"));
    if (!marker || marker->rfind(prefix, 0) != 0) return ValidationError("Invalid marker");
    after = *marker;
  }
  size_t page_size = static_cast<size_t>(GetInt(in, "PageSize").value_or(400));
  ASSIGN_OR_FAIL(store::Page page, c.deps.store.List(prefix, after, page_size), Elbv2Error);
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(json::object record, ParseObject(kv.value), Elbv2Error);
    out.push_back(Present(record));
  }
  json::object result{{"Listeners", std::move(out)}};
  if (page.more && !page.items.empty()) result["NextMarker"] = MakeMarker(page.items.back().key);
  return result;
}

Outcome ModifyListener(Context& c, const RequestContext&, object& in) {
  std::string arn = GetString(in, "ListenerArn");
  if (Has(in, "Protocol")) {
    if (auto err = CheckProtocol(GetString(in, "Protocol"))) return *err;
  }
  PortGuard guard(c.deps.data_plane, arn);
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetListener(c, arn);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    json::object listener = GetObject(record.value, "listener");
    std::string lb_arn = GetString(listener, "LoadBalancerArn");
    int64_t old_port = GetInt(listener, "Port").value_or(0);
    int64_t new_port = GetInt(in, "Port").value_or(old_port);
    store::Txn txn{{{record.key, record.mod_revision}}, {}};
    if (Has(in, "DefaultActions")) {
      auto checked = CheckActions(c, GetArray(in, "DefaultActions"), lb_arn);
      if (auto* err = std::get_if<AwsError>(&checked)) return *err;
      listener["DefaultActions"] = std::get<CheckedActions>(checked).actions;
      TouchRecords(std::get<CheckedActions>(checked).target_groups, txn);
    }
    if (new_port != old_port) {
      ListenerId id = ParseListenerArn(c.deps, arn);
      ASSIGN_OR_FAIL(auto listeners, ReadAll(c.deps.store, ListenersPrefix(id.lb_name)),
                     Elbv2Error);
      for (const auto& l : listeners) {
        if (GetInt(GetObject(l.value, "listener"), "Port") == new_port) {
          return AwsError::Client(
              "DuplicateListener",
              "A listener already exists on this port for this load balancer '" + lb_arn + "'");
        }
      }
      int64_t claim_revision = 0;
      ASSIGN_OR_FAIL(std::string holder, PortHolder(c.deps.store, new_port, claim_revision),
                     Elbv2Error);
      if (!holder.empty()) {
        return InvalidConfiguration("Port " + std::to_string(new_port) +
                                    " is already used by listener '" + holder +
                                    "': wharf's load balancers share one address, so a port serves "
                                    "one listener");
      }
      if (auto err = ReservedPort(c.deps, new_port)) return *err;
      guard.set_previous_port(static_cast<uint16_t>(old_port));
      if (auto err = guard.Open(static_cast<uint16_t>(new_port), c.deps.lb_bind_address)) return *err;
      listener["Port"] = new_port;
      txn.compares.push_back({PortKey(new_port), 0});
      txn.ops.push_back(
          store::Op::Put(PortKey(new_port), Serialize(json::object{{"listenerArn", arn}})));
      txn.ops.push_back(store::Op::Delete(PortKey(old_port)));
    }
    if (Has(in, "Protocol")) listener["Protocol"] = GetString(in, "Protocol");
    record.value["listener"] = listener;
    txn.ops.push_back(store::Op::Put(record.key, Serialize(record.value)));
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    guard.Commit();
    c.Publish();
    return json::object{{"Listeners", json::array{std::move(listener)}}};
  }).value_or(TooManyConcurrentUpdates());
}

std::string DropListener(const Record& listener, store::Txn& txn) {
  const json::object& shown = GetObject(listener.value, "listener");
  txn.compares.push_back({listener.key, listener.mod_revision});
  txn.ops.push_back(store::Op::Delete(listener.key));
  txn.ops.push_back(store::Op::Delete(PortKey(GetInt(shown, "Port").value_or(0))));
  return GetString(shown, "ListenerArn");
}

Outcome DeleteListener(Context& c, const RequestContext&, object& in) {
  std::string arn = GetString(in, "ListenerArn");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetListener(c, arn);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    ListenerId id = ParseListenerArn(c.deps, arn);
    ASSIGN_OR_FAIL(auto rules, ReadAll(c.deps.store, RulesPrefix(id.lb_name, id.listener_id)),
                   Elbv2Error);
    store::Txn txn;
    DropListener(record, txn);
    DeleteRecords(rules, txn);
    ASSIGN_OR_FAIL(bool deleted, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!deleted) return store::kConflict;
    c.Publish();
    c.deps.data_plane.CloseListener(arn);
    return json::object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeListenerAttributes(Context& c, const RequestContext&, object& in) {
  return DescribeAttributesOf(GetListener(c, GetString(in, "ListenerArn")));
}

Outcome ModifyListenerAttributes(Context& c, const RequestContext&, object& in) {
  return ModifyAttributesOf(c, static_cast<int>(AttributeOwner::kListener), GetArray(in, "Attributes"),
                            [&] { return GetListener(c, GetString(in, "ListenerArn")); });
}

}  // namespace wharf::api::elbv2
