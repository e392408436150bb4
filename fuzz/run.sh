#!/usr/bin/env bash
# Builds a libFuzzer target with clang and runs it.
#   fuzz/run.sh [RUNS]            the load balancer request fuzzer (default 10,000,000 inputs)
#   fuzz/run.sh lb [RUNS]         the same
#   fuzz/run.sh policy [RUNS]     the IAM policy fuzzer (parse every kind, evaluate what parses)
#   fuzz/run.sh blob [RUNS]       the KMS ciphertext blob parser (what Decrypt takes from clients)
#   fuzz/run.sh sealed [RUNS]     sealed blob files (ECR layers of KMS repositories, as read from disk)
#   fuzz/run.sh template [RUNS]   CloudFormation templates (JSON and YAML), parsed and resolved, and stack policies
#   fuzz/run.sh schedule [RUNS]   Application Auto Scaling schedule expressions and TZif files
#   fuzz/run.sh dns [RUNS]        DNS packets at the VPC resolver (parsed, answered, encoded)
#   fuzz/run.sh filter [RUNS]     CloudWatch Logs filter patterns, matched and captured, metric filter values
#   fuzz/run.sh cbor [RUNS]       CBOR request bodies (CloudWatch's smithy-rpc-v2-cbor), decoded and re-encoded
#   fuzz/run.sh rule [RUNS]       composite alarm rules (AlarmRule), parsed and evaluated
#   fuzz/run.sh protection [RUNS] the agent's task protection endpoint's PUT body (sent by any container)
#   fuzz/run.sh conntrack [RUNS]  the kernel's conntrack answers: the server's GET for a VPC connection, the node's dump
# Extra libFuzzer flags may follow RUNS (e.g. -max_total_time=300).
set -euo pipefail
cd "$(dirname "$0")/.."
target=lb
if [[ " lb policy blob sealed template schedule dns filter cbor rule protection conntrack " == *" ${1:-none} "* ]]; then
  target=$1
  shift
fi
runs=${1:-10000000}
shift || true
extra=("$@")
out=build-fuzz
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc)
corpus=$out/$target-corpus  # each target's seeds, and what libFuzzer adds to them
mkdir -p "$corpus"

# Runs the built fuzzer NAME on the corpus with inputs up to MAX_LEN bytes; crashes are kept as
# $out/<target>-crash-...
run_fuzzer() {
  "$out/$1" -runs="$runs" -max_len="$2" -print_final_stats=1 -artifact_prefix="$out/$target-" "${extra[@]}" "$corpus"
}

if [[ $target == lb ]]; then
  clang++ "${flags[@]}" -DBOOST_ASIO_NO_DEPRECATED -DBOOST_ENABLE_ASSERT_HANDLER \
    fuzz/lb_request_fuzzer.cc src/lb/rules.cc src/base/percent.cc \
    -o "$out/lb_request_fuzzer"
  # Seeds: a few well-formed and hostile requests. The first byte sets the size of the pieces
  # the rest is fed in (byte + 1), as reads would deliver it.
  printf '\x07GET /api/a?x=1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n' > "$corpus/get"
  printf '\xffPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' > "$corpus/clte"
  printf '\x02POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' > "$corpus/chunked"
  printf '\x00GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n' > "$corpus/obsfold"
  printf '\x10GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.0\r\n\r\n' > "$corpus/pipelined"
  run_fuzzer lb_request_fuzzer 4096
  exit 0
fi

if [[ $target == filter ]]; then
  clang++ "${flags[@]}" fuzz/filter_pattern_fuzzer.cc src/logs/filter_pattern.cc src/logs/metric_filter.cc \
    src/base/glob.cc src/base/status.cc -lboost_json -o "$out/filter_pattern_fuzzer"
  printf '[ip, user, ..., status = 2*, bytes]\n$bytes\n10.0.0.1 bob GET /x 200 1534' > "$corpus/space"
  printf '{ $.latency > 10 && $.a[0].b = "x*" }\n$.latency\n{"latency": 12, "a": [{"b": "xy"}]}' > "$corpus/json"
  printf '?ERROR ?WARN -DEBUG\n1\nERROR disk full' > "$corpus/terms"
  run_fuzzer filter_pattern_fuzzer 2048
  exit 0
fi

if [[ $target == cbor ]]; then
  clang++ "${flags[@]}" fuzz/cbor_fuzzer.cc src/api/cbor.cc src/base/crypto.cc src/base/status.cc \
    -lcbor -lcrypto -lboost_json -o "$out/cbor_fuzzer"
  # Seeds: {"Namespace": "Cbor", "MaxRecords": 5, "T": 1(1.5)}, indefinite map and text, a byte string.
  printf '\xa3\x69Namespace\x64Cbor\x6aMaxRecords\x05\x61T\xc1\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00' > "$corpus/map"
  printf '\xbf\x69Namespace\x7f\x62Cb\x62or\xff\x61L\x9f\x01\x20\xf9\x3c\x00\xff\xff' > "$corpus/indef"
  printf '\xa1\x61B\x5f\x42\x00\x01\x41\xff\xff' > "$corpus/bytes"
  run_fuzzer cbor_fuzzer 4096
  exit 0
fi

if [[ $target == conntrack ]]; then
  clang++ "${flags[@]}" fuzz/conntrack_fuzzer.cc src/net/conntrack_origin.cc src/net/conntrack_flows.cc src/base/status.cc -o "$out/conntrack_fuzzer"
  # Seed: an answer as the kernel writes it (original tuple 10.0.1.5:40000 -> 10.0.2.4:443, the
  # reply tuple, the zone), sequence number 7.
  python3 - "$corpus/answer" <<'PY'
import socket, struct, sys
def attr(t, p): return (struct.pack('=HH', 4 + len(p), t) + p).ljust((4 + len(p) + 3) & ~3, b'\0')
def nest(t, p): return attr(t | 0x8000, p)
def tup(src, dst, sp, dp):
    return nest(1, attr(1, socket.inet_aton(src)) + attr(2, socket.inet_aton(dst))) + \
        nest(2, attr(1, bytes([6])) + attr(2, struct.pack('>H', sp)) + attr(3, struct.pack('>H', dp)))
body = nest(1, tup('10.0.1.5', '10.0.2.4', 40000, 443)) + nest(2, tup('10.99.0.1', '10.0.1.5', 8080, 40000)) + \
    attr(18, struct.pack('>H', 7))
msg = struct.pack('=IHHII', 16 + 4 + len(body), (1 << 8) | 0, 0, 7, 0) + bytes(4) + body
open(sys.argv[1], 'wb').write(msg)
PY
  run_fuzzer conntrack_fuzzer 8192
  exit 0
fi

if [[ $target == protection ]]; then
  clang++ "${flags[@]}" fuzz/task_protection_fuzzer.cc src/agent/task_protection_request.cc src/base/status.cc \
    -lboost_json -o "$out/task_protection_fuzzer"
  # Seeds: the documented body, without expiry, a null expiry, and ones the endpoint refuses.
  printf '{"ProtectionEnabled": true, "ExpiresInMinutes": 60}' > "$corpus/enable"
  printf '{"ProtectionEnabled": false}' > "$corpus/disable"
  printf '{"ProtectionEnabled": true, "ExpiresInMinutes": null}' > "$corpus/null"
  printf '{"ProtectionEnabled": "yes", "ExpiresInMinutes": 1.5e3}' > "$corpus/wrong"
  printf '[{"ProtectionEnabled": true}]' > "$corpus/array"
  run_fuzzer task_protection_fuzzer 4096
  exit 0
fi

if [[ $target == rule ]]; then
  clang++ "${flags[@]}" fuzz/composite_rule_fuzzer.cc src/metrics/composite_rule.cc src/base/status.cc \
    -o "$out/composite_rule_fuzzer"
  printf 'ALARM(cpu-high) AND NOT (OK("arn:aws:cloudwatch:us-east-1:1:alarm:deploy") OR INSUFFICIENT_DATA(x))' > "$corpus/rule"
  printf 'TRUE OR FALSE AND NOT NOT ALARM(a b)' > "$corpus/keywords"
  run_fuzzer composite_rule_fuzzer 2048
  exit 0
fi

if [[ $target == dns ]]; then
  clang++ "${flags[@]}" fuzz/dns_fuzzer.cc src/dns/answer.cc src/dns/message.cc src/base/status.cc \
    src/model/vpc_dns.cc src/model/json.cc -lboost_json -o "$out/dns_fuzzer"
  # Seeds: an A query with EDNS, an SRV query, and a query with a compressed additional name.
  printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03api\x05local\x00\x00\x01\x00\x01\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00' > "$corpus/a"
  printf '\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03api\x05local\x00\x00\x21\x00\x01' > "$corpus/srv"
  printf '\x00\x08\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01' > "$corpus/answered"
  printf '\x00\x09\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x015\x011\x010\x0210\x07in-addr\x04arpa\x00\x00\x0c\x00\x01' > "$corpus/ptr"
  run_fuzzer dns_fuzzer 1024
  exit 0
fi

if [[ $target == blob ]]; then
  clang++ "${flags[@]}" fuzz/blob_fuzzer.cc src/kms/ciphertext_blob.cc src/kms/aes_gcm.cc src/base/status.cc \
    -lcrypto -o "$out/blob_fuzzer"
  # Seeds: a well-formed blob (36-byte key id, version 0, nonce, 5 bytes and a tag) and a short one.
  { printf 'WKM\x01\x24'; printf '1234abcd-12ab-34cd-56ef-1234567890ab'; printf '\x00\x00\x00\x00';
    head -c 33 /dev/zero; } > "$corpus/blob"
  printf 'WKM\x01\x01k' > "$corpus/short"
  run_fuzzer blob_fuzzer 512
  exit 0
fi

if [[ $target == schedule ]]; then
  clang++ "${flags[@]}" fuzz/schedule_fuzzer.cc src/controlplane/scaling_schedule.cc src/base/status.cc \
    -o "$out/schedule_fuzzer"
  printf 'cron(0/15 9-17 ? JAN-DEC MON-FRI *)' > "$corpus/cron"
  printf 'rate(5 minutes)' > "$corpus/rate"
  printf 'at(2030-02-28T23:59:59)' > "$corpus/at"
  { printf 'T'; cat /usr/share/zoneinfo/Europe/Paris; } > "$corpus/tzif"
  run_fuzzer schedule_fuzzer 4096
  exit 0
fi

if [[ $target == sealed ]]; then
  clang++ "${flags[@]}" fuzz/sealed_blob_fuzzer.cc src/kms/sealed_blob.cc src/kms/aes_gcm.cc src/base/crypto.cc \
    src/base/status.cc -lcrypto -o "$out/sealed_blob_fuzzer"
  # Seeds: a header of 64 KiB chunks for 70,000 bytes with a made-up first chunk; a bad magic.
  { printf 'WSB1\x00\x00\x01\x00'; printf '\x70\x11\x01\x00\x00\x00\x00\x00'; head -c 16 /dev/zero;
    head -c 65552 /dev/zero; } > "$corpus/two-chunks"
  printf 'XSB1\x00\x10\x00\x00' > "$corpus/bad"
  run_fuzzer sealed_blob_fuzzer 140000
  exit 0
fi

if [[ $target == template ]]; then
  cfn_sources=$(ls src/cloudformation/*.cc | grep -v '_test\.cc$')
  clang++ "${flags[@]}" fuzz/template_fuzzer.cc $cfn_sources src/base/status.cc src/base/crypto.cc src/base/glob.cc \
    -lyaml-cpp -lcrypto -lboost_json -o "$out/template_fuzzer"
  # Seeds: a YAML template with short forms, parameters, conditions and outputs; a JSON one.
  cat > "$corpus/yaml" <<'YAML'
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Subnets: {Type: CommaDelimitedList, Default: "a,b"}
Mappings:
  M: {dev: {Cpu: '256'}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Not: !Not [!Condition IsProd]
Resources:
  A: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: !Sub '${AWS::StackName}-${Env}'}}
  B:
    Type: AWS::ECS::TaskDefinition
    DependsOn: A
    Properties:
      Cpu: !FindInMap [M, !Ref Env, Cpu]
      X: !If [IsProd, !GetAtt A.Arn, !Ref 'AWS::NoValue']
      Y: !Join [',', !Split [',', !Select [0, !GetAZs '']]]
      Z: !Base64 {'Fn::Sub': ['${v}', {v: !Ref Subnets}]}
Outputs:
  O: {Value: !Ref B, Export: {Name: !Sub '${AWS::StackName}-o'}}
YAML
  printf '{"Resources":{"A":{"Type":"AWS::ECS::Cluster","Properties":{"ClusterName":{"Fn::Join":["-",["a",{"Ref":"AWS::Region"}]]}}}}}' > "$corpus/json"
  # Fn::ForEach: nested loops, a parameter's list, &{} keys, IPv6 Fn::Cidr.
  cat > "$corpus/foreach" <<'YAML'
Transform: AWS::LanguageExtensions
Parameters:
  Tiers: {Type: CommaDelimitedList, Default: "web,db"}
Conditions:
  'Fn::ForEach::C': [N, [a, b], {'Is${N}': !Equals [!Ref N, a]}]
Resources:
  V: {Type: AWS::EC2::VPC, Properties: {CidrBlock: !Select [0, !Cidr ['2001:db8::/56', 2, 64]]}}
  'Fn::ForEach::T':
    - Tier
    - !Ref Tiers
    - '${Tier}S':
        Type: AWS::EC2::Subnet
        Properties: {VpcId: !Ref V, Name: !Sub '${Tier}-${V}'}
      'Fn::ForEach::P': [Port, ['8.0', '443'], {'${Tier}R&{Port}': {Type: X::Y::Z, Properties: {G: !GetAtt [!Sub '${Tier}S', Id]}}}]
  'Fn::ForEach::Z':
    - Zone
    - !GetAZs ''
    - 'Z&{Zone}': {Type: X::Y::Z, Properties: {R: !Sub '${AWS::Region}', D: !FindInMap [M, x, y, {DefaultValue: d}]}}
  'Fn::ForEach::Q':
    - N
    - [a, b]
    - 'Q${N}': {Type: X::Y::Z, Condition: !Sub 'Is${N}', Properties: {I: !If [!Sub 'Is${N}', !ImportValue e, z]}}
Mappings:
  M: {k: {v: '1'}}
Outputs:
  'Fn::ForEach::O': [Tier, !Ref Tiers, {'${Tier}': {Value: !Ref {'Fn::Sub': '${Tier}S'}}}]
YAML
  run_fuzzer template_fuzzer 8192
  exit 0
fi

iam_sources=$(ls src/iam/*.cc | grep -v '_test\.cc$')
clang++ "${flags[@]}" fuzz/policy_fuzzer.cc $iam_sources src/base/glob.cc src/base/status.cc \
  -o "$out/policy_fuzzer"
# Seeds: an identity policy with every operator family and variables, a resource policy, a
# trust policy.
cat > "$corpus/identity" <<'JSON'
{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["ecs:Describe*","s3:*"],
"Resource":["arn:aws:ecs:*:123456789012:service/*","arn:aws:s3:::bucket/home/${aws:username}/*${*}"],
"Condition":{"StringLike":{"aws:PrincipalTag/team":"blue${?}"},"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},
"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},"NumericLessThanEquals":{"s3:max-keys":10},
"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]},"Bool":{"aws:SecureTransport":true},
"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalTag/team, 'x'}:*"},"Null":{"aws:TokenIssueTime":"true"}}},
{"Effect":"Deny","NotAction":"ecs:*","NotResource":"*","Condition":{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}}]}
JSON
cat > "$corpus/resource" <<'JSON'
{"Version":"2012-10-17","Statement":{"Sid":"pull","Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/app"]},
"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}
JSON
cat > "$corpus/trust" <<'JSON'
{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"},
{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:sts::123456789012:assumed-role/app/s"},"Action":"sts:AssumeRole"}]}
JSON
run_fuzzer policy_fuzzer 8192
