// The smithy-rpc-v2-cbor protocol's bodies (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html):
// an operation's output written as CBOR under its model shape, and errors as a CBOR map.
// Requests are decoded with DecodeCbor (api/cbor.h) and then checked like JSON ones.
//
// Requests are POST /service/<targetPrefix>/operation/<Operation> with a `smithy-protocol:
// rpc-v2-cbor` header; answers carry the same header and Content-Type application/cbor.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "api/aws_error.h"
#include "api/service_model.h"

namespace wharf::api {

inline constexpr std::string_view kCborContentType = "application/cbor";
inline constexpr std::string_view kRpcV2CborPrefix = "/service/";

// `output` (what a handler returned, as the JSON protocol has it) under `shape`: timestamps
// become tag 1 with epoch seconds, blobs byte strings, Double members doubles.
std::string EncodeCborOutput(const Shape* shape, const boost::json::value& output);
// {"__type": "<namespace>#<code>", "message": ...} plus the error's extra members.
std::string EncodeCborError(std::string_view smithy_namespace, const AwsError& error);

// Splits "/service/<service>/operation/<operation>"; false when the path is not one.
bool ParseRpcV2Path(std::string_view target, std::string_view& service, std::string_view& operation);

}  // namespace wharf::api
