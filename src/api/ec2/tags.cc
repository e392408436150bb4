// CreateTags, DeleteTags and DescribeTags over every EC2 resource wharf keeps: the record an
// id names is found by the id's prefix (model::keys::Ec2ResourceKey) and its Tags member
// changed. A call that names one missing resource changes none.
#include <algorithm>

#include "api/ec2/handlers.h"

namespace wharf::api::ec2 {

namespace {

// EC2's resource type of an id, as DescribeTags shows it, and its NotFound error code.
struct Kind {
  std::string_view prefix, keys, type, code, what;
};
namespace keys = model::keys;
constexpr Kind kKinds[] = {
    {"vpc-", keys::kVpcs, "vpc", "InvalidVpcID.NotFound", "vpc"},
    {"subnet-", keys::kSubnets, "subnet", "InvalidSubnetID.NotFound", "subnet"},
    {"sg-", keys::kSecurityGroups, "security-group", "InvalidGroup.NotFound", "security group"},
    {"igw-", keys::kInternetGateways, "internet-gateway", "InvalidInternetGatewayID.NotFound", "internetGateway"},
    {"eipalloc-", keys::kAddresses, "elastic-ip", "InvalidAllocationID.NotFound", "allocation"},
    {"nat-", keys::kNatGateways, "natgateway", "NatGatewayNotFound", "nat gateway"},
    {"rtb-", keys::kRouteTables, "route-table", "InvalidRouteTableID.NotFound", "routeTable"},
    {"acl-", keys::kNetworkAcls, "network-acl", "InvalidNetworkAclID.NotFound", "network acl"},
    {"vpce-", keys::kVpcEndpoints, "vpc-endpoint", "InvalidVpcEndpointId.NotFound", "Vpc Endpoint"},
    // A rule lives in its group's record (permissions.cc): found by scanning the groups.
    {"sgr-", keys::kSecurityGroups, "security-group-rule", "InvalidSecurityGroupRuleId.NotFound",
     "security group rule"},
};

const Kind* KindOf(std::string_view id) {
  for (const Kind& k : kKinds) {
    if (id.starts_with(k.prefix)) return &k;
  }
  return nullptr;
}

// The records `resources` name, read for a change (a rule's: its group's, with the rule ids
// stored), each once; an error for the first that is not there.
struct Resources {
  std::vector<Record> records;
  std::vector<std::pair<size_t, std::string>> tagged;  // (record index, resource id)
};
std::variant<Resources, AwsError> ReadResources(Context& c, const RequestContext& ctx,
                                                const std::vector<std::string>& resources) {
  if (resources.empty()) return MissingParameter("resourceIdSet");
  Resources out;
  auto index_of = [&](Record record) {
    for (size_t i = 0; i < out.records.size(); ++i) {
      if (out.records[i].key == record.key) return i;
    }
    out.records.push_back(std::move(record));
    return out.records.size() - 1;
  };
  std::optional<std::vector<Record>> groups;
  for (const std::string& id : resources) {
    const Kind* kind = KindOf(id);
    if (!kind) return AwsError::Client("InvalidID", "The ID '" + id + "' is not valid");
    if (id.starts_with("sgr-")) {
      if (!groups) {
        auto all = ReadRecords(c.store(), kSecurityGroupsPrefix);
        if (!all.ok()) return Ec2Error(all.status());
        groups = std::move(*all);
      }
      bool found = false;
      for (Record& g : *groups) {
        StoreRuleIds(ctx, g.value);
        if (!FindStoredRule(g.value, id)) continue;
        out.tagged.emplace_back(index_of(g), id);
        found = true;
        break;
      }
      if (!found) return NotFound(std::string(kind->code), kind->what, id);
      continue;
    }
    auto found = ReadRecord(c.store(), model::keys::Ec2ResourceKey(id));
    if (!found.ok()) return Ec2Error(found.status());
    if (!*found) return NotFound(std::string(kind->code), kind->what, id);
    out.tagged.emplace_back(index_of(std::move(**found)), id);
  }
  return out;
}

}  // namespace

ResourceTags ResourceTagsOf(Context& c, std::string_view arn) {
  size_t slash = arn.rfind('/');
  if (slash == std::string_view::npos) return {};
  std::string_view id = arn.substr(slash + 1);
  // A rule's tags are inside its group's record; rules are rarely named in conditions.
  if (!KindOf(id) || id.starts_with("sgr-")) return {};
  auto found = ReadRecord(c.store(), model::keys::Ec2ResourceKey(id));
  if (!found.ok() || !*found) return {};
  return TagPairs(GetArray((*found)->value, "Tags"), "Key", "Value");
}

namespace {

// The Tags array of resource `id` in its record.
json::array& TagsOf(object& record, const std::string& id) {
  object* holder = id.starts_with("sgr-") ? FindStoredRule(record, id) : &record;
  json::value& tags = (*holder)["Tags"];
  if (!tags.is_array()) tags = json::array();
  return tags.as_array();
}

template <typename Change>
Outcome ChangeTags(Context& c, const RequestContext& ctx, const object& in, Change change) {
  std::vector<std::string> resources = Strings(in, "Resources");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto read = ReadResources(c, ctx, resources);
    if (auto* err = std::get_if<AwsError>(&read)) return *err;
    Resources& r = std::get<Resources>(read);
    for (const auto& [index, id] : r.tagged) change(TagsOf(r.records[index].value, id));
    store::Txn txn;
    for (const Record& record : r.records) {
      txn.compares.push_back({record.key, record.mod_revision});
      txn.ops.push_back(store::Op::Put(record.key, Serialize(record.value)));
    }
    ASSIGN_OR_FAIL(store::TxnResult result, c.store().Commit(txn), Ec2Error);
    if (!result.succeeded) return store::kConflict;
    return Outcome(object{});
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace

Outcome CreateTags(Context& c, const RequestContext& ctx, object& in) {
  json::array tags = GetArray(in, "Tags");
  for (const auto& t : tags) {
    std::string key = GetString(t.as_object(), "Key");
    if (key.empty()) return InvalidParameterValue("Tag key must not be empty");
    if (key.starts_with("aws:")) return InvalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
    if (key.size() > 128 || GetString(t.as_object(), "Value").size() > 256) {
      return InvalidParameterValue("Tag keys are at most 128 characters and values at most 256");
    }
  }
  return ChangeTags(c, ctx, in, [&](json::array& existing) { MergeByKey(existing, tags, "Key"); });
}

Outcome DeleteTags(Context& c, const RequestContext& ctx, object& in) {
  const json::array& tags = GetArray(in, "Tags");
  return ChangeTags(c, ctx, in, [&](json::array& existing) {
    if (tags.empty()) {  // no Tags given: every tag goes
      existing.clear();
      return;
    }
    auto gone = std::remove_if(existing.begin(), existing.end(), [&](const json::value& e) {
      for (const auto& t : tags) {
        const object& want = t.as_object();
        if (GetString(want, "Key") != GetString(e.as_object(), "Key")) continue;
        // A Value given removes the tag only when it matches ("" matches only "").
        if (!Has(want, "Value") || GetString(want, "Value") == GetString(e.as_object(), "Value")) return true;
      }
      return false;
    });
    existing.erase(gone, existing.end());
  });
}

Outcome DescribeTags(Context& c, const RequestContext&, object& in) {
  auto filters = Filters::Parse(in, {{"resource-id", "ResourceId"},
                                     {"resource-type", "ResourceType"},
                                     {"key", "Key"},
                                     {"value", "Value"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  json::array out;
  for (const Kind& kind : kKinds) {
    std::string prefix(kind.keys);
    ASSIGN_OR_FAIL(auto records, ReadRecords(c.store(), prefix), Ec2Error);
    // (resource id, its tags): a record's own, or for rules those kept in their group's record.
    std::vector<std::pair<std::string, const json::array*>> tagged;
    for (const Record& r : records) {
      if (kind.prefix != "sgr-") {
        tagged.emplace_back(r.key.substr(prefix.size()), &GetArray(r.value, "Tags"));
        continue;
      }
      for (const auto& rule : GetArray(GetObject(r.value, "_wharf"), "rules")) {
        const object& shape = rule.as_object();
        tagged.emplace_back(GetString(shape, "SecurityGroupRuleId"), &GetArray(shape, "Tags"));
      }
    }
    for (const auto& [id, tags] : tagged) {
      for (const auto& t : *tags) {
        object tag{{"Key", GetString(t.as_object(), "Key")},
                   {"ResourceId", id},
                   {"ResourceType", kind.type},
                   {"Value", GetString(t.as_object(), "Value")}};
        // The page token: resource id and key, which order the tags.
        tag["_token"] = id + "/" + GetString(tag, "Key");
        if (std::get<Filters>(filters).Match(tag)) out.push_back(std::move(tag));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const json::value& a, const json::value& b) {
    return GetString(a.as_object(), "_token") < GetString(b.as_object(), "_token");
  });
  object result;
  if (auto err = PageInto(in, std::move(out), "_token", "Tags", PageLimits{5, 1000}, false, "", result)) return *err;
  return result;
}

}  // namespace wharf::api::ec2
