// The front door's worker pool: where operations run, how their answers come back, what an
// overloaded or stopping front door answers.
#include "api/front_door.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <chrono>
#include <future>
#include <latch>
#include <memory>
#include <thread>

#include "base/mutex.h"
#include "controlplane/vpc_endpoint_origin.h"
#include "store/memory_store.h"
#include "tests/support/signed_request.h"

namespace wharf::api {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

constexpr char kLogsTarget[] = "Logs_20140328.";
constexpr char kPutEvents[] = R"({"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"m"}]})";

// A request as an SDK sends it, signed now (the front door runs in dev mode: any key).
net::Request Signed(std::string service, std::vector<std::pair<std::string, std::string>> headers,
                    std::string body) {
  return testing::SignedPost(service, std::move(headers), std::move(body), "AKIDTEST", "secret",
                             std::chrono::system_clock::now());
}

net::Request Logs(const std::string& operation, std::string body = "{}") {
  return Signed("logs",
                {{"x-amz-target", kLogsTarget + operation}, {"content-type", "application/x-amz-json-1.1"}},
                std::move(body));
}

net::Request Ec2DescribeVpcs() {
  return Signed("ec2", {{"content-type", "application/x-www-form-urlencoded"}},
                "Action=DescribeVpcs&Version=2016-11-15");
}

// One answer, as the HTTP server's Responder would deliver it.
struct Answer {
  std::shared_ptr<std::promise<net::Response>> promise = std::make_shared<std::promise<net::Response>>();
  std::future<net::Response> future = promise->get_future();
  std::shared_ptr<bool> dropped = std::make_shared<bool>(false);

  net::Responder responder() {
    return [p = promise, d = dropped](net::Reply&& reply) {
      *d = reply.drop;
      p->set_value(std::move(reply.response));
    };
  }
  bool arrives() { return future.wait_for(10s) == std::future_status::ready; }
  bool pending() { return future.wait_for(50ms) == std::future_status::timeout; }
};

class FrontDoorTest : public ::testing::Test {
 protected:
  void Start(int workers, size_t queue_limit, bool reads_on_loop = false) {
    front_door_ = std::make_unique<FrontDoor>(
        FrontDoorOptions{"us-east-1", "000000000000", true, workers, queue_limit, reads_on_loop, {}}, credentials_, clock_,
        random_);
    ServiceEndpoint logs;
    logs.model = ServiceModel::LoadEmbedded("logs").value();
    logs.validation_error = "InvalidParameterException";
    logs.to_error = [](const Status& s) { return AwsError::Server("ServiceUnavailableException", s.message()); };
    logs.operations["DescribeLogGroups"] = [this](const RequestContext&, boost::json::object&) {
      {
        MutexLock lock(mu_);
        ran_on_ = std::this_thread::get_id();
      }
      if (block_) {
        started_.count_down();
        release_.wait();
      }
      return Outcome(boost::json::object{{"logGroups", boost::json::array()}});
    };
    logs.operations["CreateLogGroup"] = [this](const RequestContext&, boost::json::object&) {
      MutexLock lock(mu_);
      ran_on_ = std::this_thread::get_id();
      return Outcome(boost::json::object{});
    };
    logs.deferred_operations["PutLogEvents"] = [](const RequestContext&, boost::json::object&,
                                                  std::function<void(Outcome)> done) {
      // Answers later, from a thread of its own, as the log store's flush does.
      std::thread([done] {
        std::this_thread::sleep_for(10ms);
        done(boost::json::object{{"nextSequenceToken", "1"}});
      }).detach();
    };
    front_door_->AddService(std::move(logs));
    ServiceEndpoint ec2;
    ec2.model = ServiceModel::LoadEmbedded("ec2").value();
    ec2.validation_error = "InvalidParameterValue";
    ec2.to_error = [](const Status& s) { return AwsError::Server("InternalError", s.message()); };
    front_door_->AddService(std::move(ec2));
  }

  std::thread::id ran_on() {
    MutexLock lock(mu_);
    return ran_on_;
  }

  store::MemoryStore store_;
  SecureRandom key_random_;
  CredentialStore credentials_{store_, key_random_};
  SystemClock clock_;
  FastRandom random_;
  bool block_ = false;  // set before the first request: DescribeLogGroups waits for release_
  std::latch started_{1}, release_{1};
  Mutex mu_;
  std::thread::id ran_on_ GUARDED_BY(mu_);
  std::unique_ptr<FrontDoor> front_door_;  // last: its workers use the members above
};

TEST_F(FrontDoorTest, OperationRunsOnAWorkerAndItsAnswerArrives) {
  Start(2, 8);
  Answer answer;
  front_door_->Handle(Logs("DescribeLogGroups"), answer.responder());
  ASSERT_TRUE(answer.arrives());
  net::Response res = answer.future.get();
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_NE(res.body().find("logGroups"), std::string::npos);
  EXPECT_NE(ran_on(), std::thread::id());
  EXPECT_NE(ran_on(), std::this_thread::get_id());
}

TEST_F(FrontDoorTest, WithoutWorkersOperationRunsOnTheCallersThread) {
  Start(0, 8);
  Answer answer;
  front_door_->Handle(Logs("DescribeLogGroups"), answer.responder());
  ASSERT_EQ(answer.future.wait_for(0s), std::future_status::ready);  // answered before Handle returned
  EXPECT_EQ(answer.future.get().result_int(), 200);
  EXPECT_EQ(ran_on(), std::this_thread::get_id());
}

TEST_F(FrontDoorTest, ReadsStayOnTheLoopWhenTheStoreReadsFromMemory) {
  Start(2, 8, /*reads_on_loop=*/true);
  Answer read;
  front_door_->Handle(Logs("DescribeLogGroups"), read.responder());
  ASSERT_EQ(read.future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(read.future.get().result_int(), 200);
  EXPECT_EQ(ran_on(), std::this_thread::get_id());

  // A Query read is told by its Action: answered (here: no such handler) before Handle returns.
  Answer query_read;
  front_door_->Handle(Ec2DescribeVpcs(), query_read.responder());
  ASSERT_EQ(query_read.future.wait_for(0s), std::future_status::ready);
  EXPECT_NE(query_read.future.get().body().find("InvalidAction"), std::string::npos);

  Answer write;
  front_door_->Handle(Logs("CreateLogGroup", R"({"logGroupName":"g"})"), write.responder());
  ASSERT_TRUE(write.arrives());
  EXPECT_EQ(write.future.get().result_int(), 200);
  EXPECT_NE(ran_on(), std::this_thread::get_id());
}

TEST_F(FrontDoorTest, HandleReturnsWhileTheOperationIsStillRunning) {
  block_ = true;
  Start(1, 8);
  Answer slow;
  front_door_->Handle(Logs("DescribeLogGroups"), slow.responder());
  started_.wait();  // Handle has returned and the operation is running elsewhere
  EXPECT_TRUE(slow.pending());
  release_.count_down();
  ASSERT_TRUE(slow.arrives());
  EXPECT_EQ(slow.future.get().result_int(), 200);
}

TEST_F(FrontDoorTest, DeferredOperationAnswersThroughTheResponder) {
  Start(2, 8);
  Answer answer;
  front_door_->Handle(Logs("PutLogEvents", kPutEvents), answer.responder());
  ASSERT_TRUE(answer.arrives());
  net::Response res = answer.future.get();
  EXPECT_EQ(res.result_int(), 200) << res.body();
  EXPECT_NE(res.body().find("nextSequenceToken"), std::string::npos);
}

TEST_F(FrontDoorTest, FullQueueAnswersTheServicesThrottlingErrorAtOnce) {
  block_ = true;
  Start(1, 1);
  Answer running, queued, json_refused, ec2_refused;
  front_door_->Handle(Logs("DescribeLogGroups"), running.responder());
  started_.wait();  // the only worker is busy
  front_door_->Handle(Logs("DescribeLogGroups"), queued.responder());
  front_door_->Handle(Logs("DescribeLogGroups"), json_refused.responder());
  front_door_->Handle(Ec2DescribeVpcs(), ec2_refused.responder());

  ASSERT_EQ(json_refused.future.wait_for(0s), std::future_status::ready);
  net::Response json = json_refused.future.get();
  EXPECT_EQ(json.result_int(), 400);
  EXPECT_NE(json.body().find(R"("__type":"ThrottlingException")"), std::string::npos) << json.body();
  EXPECT_EQ(json[http::field::content_type], "application/x-amz-json-1.1");
  EXPECT_EQ(json["x-amzn-ErrorType"], "ThrottlingException:");
  EXPECT_FALSE(json["x-amzn-RequestId"].empty());

  ASSERT_EQ(ec2_refused.future.wait_for(0s), std::future_status::ready);
  net::Response ec2 = ec2_refused.future.get();
  EXPECT_EQ(ec2.result_int(), 503);
  EXPECT_NE(ec2.body().find("<Code>RequestLimitExceeded</Code>"), std::string::npos) << ec2.body();

  EXPECT_TRUE(running.pending());
  EXPECT_TRUE(queued.pending());
  release_.count_down();
  ASSERT_TRUE(running.arrives());
  ASSERT_TRUE(queued.arrives());
  EXPECT_EQ(running.future.get().result_int(), 200);
  EXPECT_EQ(queued.future.get().result_int(), 200);
}

TEST_F(FrontDoorTest, StopFinishesQueuedRequestsThenRefusesNewOnes) {
  block_ = true;
  Start(1, 4);
  Answer running, queued;
  front_door_->Handle(Logs("DescribeLogGroups"), running.responder());
  started_.wait();
  front_door_->Handle(Logs("DescribeLogGroups"), queued.responder());
  std::thread stopper([this] { front_door_->Stop(); });
  std::this_thread::sleep_for(20ms);
  release_.count_down();
  stopper.join();
  // Stop returned: both had their answers, none was dropped.
  ASSERT_EQ(running.future.wait_for(0s), std::future_status::ready);
  ASSERT_EQ(queued.future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(running.future.get().result_int(), 200);
  EXPECT_EQ(queued.future.get().result_int(), 200);

  Answer late;
  front_door_->Handle(Logs("DescribeLogGroups"), late.responder());
  ASSERT_EQ(late.future.wait_for(0s), std::future_status::ready);
  net::Response res = late.future.get();
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_NE(res.body().find("ThrottlingException"), std::string::npos);
}

// Through a VPC interface endpoint only its own service in its own region is answered: any
// other request's connection is closed unanswered (Reply::drop).
TEST_F(FrontDoorTest, AnEndpointServesOnlyItsOwnService) {
  Start(0, 8);
  auto logs = std::make_shared<controlplane::EndpointOrigin>();
  logs->vpce_id = "vpce-0123456789abcdef0";
  logs->vpc_id = "vpc-1";
  logs->service = "logs";
  logs->region = "us-east-1";
  EXPECT_TRUE(front_door_->ServedThrough(Logs("DescribeLogGroups"), *logs));
  EXPECT_FALSE(front_door_->ServedThrough(Ec2DescribeVpcs(), *logs));
  auto ec2 = std::make_shared<controlplane::EndpointOrigin>(*logs);
  ec2->service = "ec2";
  EXPECT_TRUE(front_door_->ServedThrough(Ec2DescribeVpcs(), *ec2));
  auto elsewhere = std::make_shared<controlplane::EndpointOrigin>(*logs);
  elsewhere->region = "eu-west-1";
  EXPECT_FALSE(front_door_->ServedThrough(Logs("DescribeLogGroups"), *elsewhere));
  // A request naming no service gets the front door's usual answer; its own routes none.
  net::Request root{http::verb::get, "/", 11};
  EXPECT_TRUE(front_door_->ServedThrough(root, *logs));
  net::Request wharf{http::verb::get, "/_wharf/health", 11};
  EXPECT_FALSE(front_door_->ServedThrough(wharf, *logs));

  Answer refused;
  front_door_->Handle(Ec2DescribeVpcs(), refused.responder(), "10.0.2.9", logs);
  ASSERT_TRUE(refused.arrives());
  EXPECT_TRUE(*refused.dropped);
  Answer served;
  front_door_->Handle(Logs("DescribeLogGroups"), served.responder(), "10.0.2.9", logs);
  ASSERT_TRUE(served.arrives());
  EXPECT_FALSE(*served.dropped);
  EXPECT_EQ(served.future.get().result_int(), 200);
}

}  // namespace
}  // namespace wharf::api
