#include "lb/traffic.h"

namespace wharf::lb {

void TrafficCounts::CountTarget(int status, int64_t ms) {
  ++requests;
  if (status >= 500) ++target_5xx;
  else if (status >= 400) ++target_4xx;
  else if (status >= 300) ++target_3xx;
  else if (status >= 200) ++target_2xx;
  ++response_ms[ms];
}

void TrafficCounts::CountElb(int status) {
  ++requests;
  if (status >= 500) ++elb_5xx;
  else if (status >= 400) ++elb_4xx;
  else if (status >= 300) ++elb_3xx;
}

void TrafficCounts::Merge(const TrafficCounts& o) {
  requests += o.requests;
  target_2xx += o.target_2xx;
  target_3xx += o.target_3xx;
  target_4xx += o.target_4xx;
  target_5xx += o.target_5xx;
  elb_3xx += o.elb_3xx;
  elb_4xx += o.elb_4xx;
  elb_5xx += o.elb_5xx;
  for (const auto& [ms, n] : o.response_ms) response_ms[ms] += n;
}

void TrafficReport::Merge(const TrafficReport& o) {
  for (const auto& [arn, lb] : o.load_balancers) {
    LoadBalancerTraffic& into = load_balancers[arn];
    into.total.Merge(lb.total);
    for (const auto& [tg, c] : lb.groups) into.groups[tg].Merge(c);
    for (const auto& [tg, h] : lb.health) into.health[tg] = h;
  }
}

}  // namespace wharf::lb
