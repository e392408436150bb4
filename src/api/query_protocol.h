// The AWS Query protocol (ELBv2, STS) and its EC2 dialect: form-encoded requests decoded into JSON
// following the input shape, JSON outputs written as XML following the output shape.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>

#include "api/aws_error.h"
#include "api/service_model.h"

namespace wharf::api {

// "a=1&b.member.1=x" -> {"a": "1", "b.member.1": "x"} (percent-decoded).
std::map<std::string, std::string> ParseForm(std::string_view body);

// Builds the input structure from flattened form parameters ("Tags.member.1.Key").
// A value that does not fit its shape's type is an error message.
Result<boost::json::object> DecodeQueryInput(const Shape& input,
                                             const std::map<std::string, std::string>& form);

// <OpResponse xmlns=..><OpResult>...</OpResult><ResponseMetadata>..</ResponseMetadata></OpResponse>
std::string EncodeQueryResponse(const ServiceModel& model, const Operation& op,
                                const boost::json::object& output, const std::string& request_id);

// The EC2 dialect (protocol "ec2"): every input list flattened as Name.N, members named by
// their locationName with the first letter upper-cased ("Filter.1.Value.1").
Result<boost::json::object> DecodeEc2Input(const Shape& input,
                                           const std::map<std::string, std::string>& form);
// <OpResponse xmlns=..><requestId>..</requestId>members...</OpResponse>: no Result wrapper,
// no ResponseMetadata; lists as <item>.
std::string EncodeEc2Response(const ServiceModel& model, const Operation& op,
                              const boost::json::object& output, const std::string& request_id);
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
std::string EncodeEc2Error(const AwsError& error, const std::string& request_id);

std::string EncodeQueryError(std::string_view xml_namespace, const AwsError& error,
                             const std::string& request_id);

std::string XmlEscape(std::string_view s);

}  // namespace wharf::api
