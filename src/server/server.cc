#include "server/server.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <thread>

#include "api/credentials.h"
#include "api/ecs/ecs.h"
#include "api/front_door.h"
#include "api/sts.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/random.h"
#include "net/http_server.h"
#include "store/leader_lease.h"
#include "store/store.h"

namespace wharf {
namespace {

namespace http = boost::beast::http;

net::Response JsonResponse(http::status status, const boost::json::object& body) {
  net::Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body) + "\n";
  return res;
}

class WharfServer final : public Server {
 public:
  explicit WharfServer(ServerOptions options) : options_(std::move(options)) {}
  ~WharfServer() override { Stop(); }

  Status Init() {
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    if (ec) return Status::Unavailable("create data dir " + options_.data_dir + ": " + ec.message());
    ASSIGN_OR_RETURN(store_, store::OpenStore(options_.store_url, options_.data_dir));
    store::LeadershipOptions leadership;
    leadership.holder_id = "wharf-" + RandomHex(random_, 12);
    leadership.on_change = [](bool leads) { LOG_INFO("msg=\"leadership changed\" leader={}", leads); };
    ASSIGN_OR_RETURN(leadership_, store::OpenLeadership(options_.store_url, std::move(leadership)));
    credentials_ = std::make_unique<api::CredentialStore>(*store_, random_);
    ASSIGN_OR_RETURN(api::AccessKey admin, credentials_->EnsureAdminKey());
    credentials_path_ = (std::filesystem::absolute(options_.data_dir) / "credentials").string();
    RETURN_IF_ERROR(api::WriteSharedCredentialsFile(credentials_path_, admin));

    front_door_ = std::make_unique<api::FrontDoor>(
        api::FrontDoorOptions{options_.region, options_.account_id, options_.dev}, *credentials_,
        clock_, request_ids_);
    ASSIGN_OR_RETURN(auto ecs, api::ecs::MakeEcsEndpoint(
                                   {*store_, clock_, options_.region, options_.account_id}));
    front_door_->AddService(std::move(ecs));
    ASSIGN_OR_RETURN(auto sts, api::MakeStsEndpoint());
    front_door_->AddService(std::move(sts));
    AddAdminRoutes();

    size_t colon = options_.listen.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("--listen wants HOST:PORT");
    net::HttpServerOptions http_options;
    http_options.host = options_.listen.substr(0, colon);
    http_options.port = static_cast<uint16_t>(std::stoi(options_.listen.substr(colon + 1)));
    http_options.threads = options_.threads > 0
                               ? options_.threads
                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ASSIGN_OR_RETURN(http_, net::HttpServer::Start(http_options, [this](net::Request&& req,
                                                                       net::Responder respond) {
      front_door_->Handle(std::move(req), respond);
    }));
    return Status::OK();
  }

  uint16_t port() const override { return http_ ? http_->port() : 0; }
  const std::string& credentials_path() const override { return credentials_path_; }

  void Stop() override {
    if (http_) http_->Stop();
    http_.reset();
    leadership_.reset();  // steps down at once so another server can lead
  }

 private:
  void AddAdminRoutes() {
    front_door_->AddAdminRoute("GET", "/_wharf/health", [this](const net::Request&) {
      auto rev = store_->CurrentRevision();
      if (!rev.ok()) {
        return JsonResponse(http::status::service_unavailable,
                            {{"status", "unavailable"}, {"store", rev.status().ToString()}});
      }
      return JsonResponse(http::status::ok, {{"status", "ok"},
                                             {"region", options_.region},
                                             {"accountId", options_.account_id},
                                             {"store", options_.store_url},
                                             {"leader", leadership_->IsLeader()},
                                             {"revision", *rev}});
    });
    if (!options_.dev) return;
    front_door_->AddAdminRoute("POST", "/_wharf/reset", [this](const net::Request&) {
      Status st = store_->Wipe();
      if (st.ok()) st = credentials_->RestoreAfterWipe();
      if (!st.ok()) {
        return JsonResponse(http::status::internal_server_error, {{"error", st.ToString()}});
      }
      LOG_INFO("state wiped by /_wharf/reset");
      return JsonResponse(http::status::ok, {{"status", "reset"}});
    });
  }

  const ServerOptions options_;
  SystemClock clock_;
  SecureRandom random_;   // keys and holder ids
  FastRandom request_ids_;
  std::unique_ptr<store::Store> store_;
  // Leads the controllers (none yet run: the tasks and services issues add them).
  std::unique_ptr<store::Leadership> leadership_;
  std::unique_ptr<api::CredentialStore> credentials_;
  std::unique_ptr<api::FrontDoor> front_door_;
  std::unique_ptr<net::HttpServer> http_;
  std::string credentials_path_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto server = std::make_unique<WharfServer>(options);
  RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace wharf
