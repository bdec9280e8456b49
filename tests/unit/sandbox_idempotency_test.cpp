// Idempotency keys: the store on its own, then through the API handler with real sessions
// (replay, conflict, scopes per user, expiry on the sandbox clock, malformed keys).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/api.hpp"
#include "sandbox/idempotency.hpp"
#include "sandbox/portal.hpp"
#include "sandbox_accounts.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;
using Outcome = IdempotencyStore::Outcome;

namespace {

const SysTime k_t0 = *parse_iso8601("2026-11-17T15:00:00Z");

using portal::test::TempDir;

TEST(IdempotencyKey, OneTo128PrintableAsciiCharacters) {
  EXPECT_TRUE(idempotency_key_is_valid("a"));
  EXPECT_TRUE(idempotency_key_is_valid("row-0001:3f2a9c"));
  EXPECT_TRUE(idempotency_key_is_valid(std::string(128, 'k')));
  EXPECT_FALSE(idempotency_key_is_valid(""));
  EXPECT_FALSE(idempotency_key_is_valid(std::string(129, 'k')));
  EXPECT_FALSE(idempotency_key_is_valid("tab\there"));
  EXPECT_FALSE(idempotency_key_is_valid("caf\xc3\xa9"));
}

TEST(IdempotencyKey, OnlyFinalAnswersAreKept) {
  for (int s : {200, 201, 204, 400, 404, 409, 422})
    EXPECT_TRUE(idempotency_answer_is_final(s)) << s;
  for (int s : {401, 429, 500, 502, 503}) EXPECT_FALSE(idempotency_answer_is_final(s)) << s;
}

TEST(IdempotencyStoreTest, ReplaysConflictsAndHoldsKeysInFlight) {
  TempDir dir;
  IdempotencyStore store(dir.path() / "portal.db");
  auto first = store.begin("usr_1 POST /v1/eligibility", "k1", "hash-a", k_t0);
  EXPECT_EQ(first.outcome, Outcome::proceed);
  // While the first request runs, the same key waits.
  EXPECT_EQ(store.begin("usr_1 POST /v1/eligibility", "k1", "hash-a", k_t0).outcome,
            Outcome::in_progress);
  store.finish("usr_1 POST /v1/eligibility", "k1", "hash-a", 200, R"({"ok":true})", k_t0);

  auto again =
      store.begin("usr_1 POST /v1/eligibility", "k1", "hash-a", k_t0 + std::chrono::hours{1});
  EXPECT_EQ(again.outcome, Outcome::replay);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, R"({"ok":true})");
  EXPECT_EQ(store.begin("usr_1 POST /v1/eligibility", "k1", "hash-b", k_t0).outcome,
            Outcome::conflict);
  // Another scope (user or operation) knows nothing of the key.
  EXPECT_EQ(store.begin("usr_2 POST /v1/eligibility", "k1", "hash-a", k_t0).outcome,
            Outcome::proceed);
  EXPECT_EQ(store.begin("usr_1 POST /v1/cases", "k1", "hash-a", k_t0).outcome, Outcome::proceed);
}

TEST(IdempotencyStoreTest, ConcurrentRequestsWithOneKeyRunOnce) {
  TempDir dir;
  IdempotencyStore store(dir.path() / "portal.db", std::chrono::milliseconds{1});
  std::atomic<int> ran{0}, replayed{0}, waited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        std::string key = "k" + std::to_string(i);
        auto b = store.begin("s", key, "h", k_t0);
        if (b.outcome == Outcome::proceed) {
          ++ran;
          std::this_thread::yield();
          store.finish("s", key, "h", 200, "{}", k_t0);
        } else if (b.outcome == Outcome::replay) {
          ++replayed;
        } else {
          EXPECT_EQ(b.outcome, Outcome::in_progress);
          ++waited;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran.load(), 200);  // each key's request ran exactly once
  EXPECT_EQ(ran + replayed + waited, 8 * 200);
}

TEST(IdempotencyStoreTest, AnswersThatAreNotFinalAreNotKept) {
  TempDir dir;
  IdempotencyStore store(dir.path() / "portal.db");
  for (int status : {500, 503, 401, 429}) {
    ASSERT_EQ(store.begin("s", "k", "h", k_t0).outcome, Outcome::proceed) << status;
    store.finish("s", "k", "h", status, "{}", k_t0);
  }
  ASSERT_EQ(store.begin("s", "k", "h", k_t0).outcome, Outcome::proceed);
  store.finish("s", "k", "h", 422, R"({"error":{}})", k_t0);
  EXPECT_EQ(store.begin("s", "k", "h", k_t0).outcome, Outcome::replay);
}

TEST(IdempotencyStoreTest, KeysExpireAfter24HoursAndSurviveARestart) {
  TempDir dir;
  {
    IdempotencyStore store(dir.path() / "portal.db");
    ASSERT_EQ(store.begin("s", "k", "h", k_t0).outcome, Outcome::proceed);
    store.finish("s", "k", "h", 200, "{}", k_t0);
  }
  IdempotencyStore store(dir.path() / "portal.db");
  EXPECT_EQ(
      store.begin("s", "k", "h", k_t0 + std::chrono::hours{24} - std::chrono::seconds{1}).outcome,
      Outcome::replay);
  auto later = k_t0 + std::chrono::hours{24};
  ASSERT_EQ(store.begin("s", "k", "other", later).outcome,
            Outcome::proceed);  // expired: free again
  store.finish("s", "k", "other", 201, R"({"n":2})", later);
  auto replay = store.begin("s", "k", "other", later);
  EXPECT_EQ(replay.outcome, Outcome::replay);
  EXPECT_EQ(replay.status, 201);
}

// The API handler over a Portal with two signed-in users of the same organisation.
class IdempotentApi : public ::testing::Test {
 protected:
  void SetUp() override {
    m_portal = std::make_unique<Portal>(m_dir.path());
    m_portal->load_seed(PORTAL_TEST_DATA_DIR "/../../examples/sandbox");
    m_portal->clock_set(k_t0);
    m_handler = make_api_handler(*m_portal);
    m_alice = session_of("alice@clinic.example", "Alice");
    m_bob = session_of("bob@clinic.example", "Bob");
  }

  // Registers, approves, verifies and signs in a user; returns the session token.
  std::string session_of(const std::string& email, const std::string& first_name) {
    register_active(email, first_name);
    return sign_in(email);
  }

  void register_active(const std::string& email, const std::string& first_name) {
    test::register_active(*m_portal, m_dir.path(), {.email = email, .first_name = first_name});
  }

  std::string sign_in(const std::string& email) {
    return test::sign_in(*m_portal, m_dir.path(), email);
  }

  HttpResponse post(const std::string& token, const json::object& body, const std::string* key,
                    const std::string& path = "/v1/eligibility") {
    HttpRequest req;
    req.method = "POST";
    req.target = req.path = path;
    req.headers.emplace_back("authorization", "Bearer " + token);
    if (key) req.headers.emplace_back("idempotency-key", *key);
    req.body = json::serialize(body);
    return m_handler(req);
  }

  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  static json::object james() {
    return {{"member_id", "ACM100234"},         {"first_name", "James"},
            {"last_name", "Whitaker"},          {"date_of_birth", "1958-03-14"},
            {"health_plan", "acme-commercial"}, {"provider_npi", "1234567893"}};
  }

  static json::object body_of(const HttpResponse& r) { return json::parse(r.body).as_object(); }

  TempDir m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
  std::string m_alice, m_bob;
};

TEST_F(IdempotentApi, EligibilityNeedsASession) {
  auto r = post("pps_not_a_session", james(), nullptr);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body_of(r).at("error").at("code"), "session_invalid");
  r = post(m_alice, james(), nullptr);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r).at("status"), "active");
}

TEST_F(IdempotentApi, SameKeyAndBodyReplaysWithoutRunningAgain) {
  std::string key = "elig-row-0001";
  auto first = post(m_alice, james(), &key);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(header(first, "Idempotent-Replayed"), "");
  EXPECT_EQ(body_of(first).at("service_date"), "2026-11-17");

  // The next day (signed in again) the date of service would default to the 18th: the replay
  // still says the 17th, so the check was not run again.
  m_portal->clock_advance(std::chrono::hours{23});
  m_alice = sign_in("alice@clinic.example");
  auto again = post(m_alice, james(), &key);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  EXPECT_FALSE(header(again, "X-Request-Id").empty());

  // Without a key the request runs every time.
  EXPECT_EQ(body_of(post(m_alice, james(), nullptr)).at("service_date"), "2026-11-18");
}

TEST_F(IdempotentApi, RefusalsAreReplayedToo) {
  auto body = james();
  body["last_name"] = "Whitacre";
  std::string key = "k-422";
  auto first = post(m_alice, body, &key);
  ASSERT_EQ(first.status, 422) << first.body;
  auto again = post(m_alice, body, &key);
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(again.body, first.body);
}

TEST_F(IdempotentApi, SameKeyWithAnotherBodyIsAConflict) {
  std::string key = "k-conflict";
  ASSERT_EQ(post(m_alice, james(), &key).status, 200);
  auto other = james();
  other["service_date"] = "2026-06-01";
  auto r = post(m_alice, other, &key);
  EXPECT_EQ(r.status, 409);
  auto error = body_of(r).at("error").as_object();
  EXPECT_EQ(error.at("code"), "idempotency_conflict");
  EXPECT_NE(std::string(error.at("message").as_string()).find("different request"),
            std::string::npos);
}

TEST_F(IdempotentApi, EachUserHasItsOwnKeys) {
  std::string key = "shared-key";
  ASSERT_EQ(post(m_alice, james(), &key).status, 200);
  m_portal->clock_advance(std::chrono::hours{23});
  m_alice = sign_in("alice@clinic.example");
  m_bob = sign_in("bob@clinic.example");
  auto bob = post(m_bob, james(), &key);
  EXPECT_EQ(bob.status, 200);
  EXPECT_EQ(header(bob, "Idempotent-Replayed"), "");
  EXPECT_EQ(body_of(bob).at("service_date"), "2026-11-18");
  EXPECT_EQ(header(post(m_alice, james(), &key), "Idempotent-Replayed"), "true");
  // And Bob's different body under Alice's key is no conflict either.
  auto other = james();
  other["service_date"] = "2026-06-01";
  std::string key2 = "alice-only";
  ASSERT_EQ(post(m_alice, james(), &key2).status, 200);
  EXPECT_EQ(post(m_bob, other, &key2).status, 200);
}

TEST_F(IdempotentApi, KeysExpireAfter24HoursOfSandboxTime) {
  std::string key = "k-day";
  ASSERT_EQ(post(m_alice, james(), &key).status, 200);
  // Sessions end after 30 idle minutes: the same user signs in again (keys belong to the user,
  // not to the session).
  m_portal->clock_advance(std::chrono::hours{24} - std::chrono::minutes{1});
  m_alice = sign_in("alice@clinic.example");
  auto replay = post(m_alice, james(), &key);
  EXPECT_EQ(header(replay, "Idempotent-Replayed"), "true");
  EXPECT_EQ(body_of(replay).at("service_date"), "2026-11-17");
  m_portal->clock_advance(std::chrono::minutes{2});
  auto fresh = post(m_alice, james(), &key);
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(header(fresh, "Idempotent-Replayed"), "");
  EXPECT_EQ(body_of(fresh).at("service_date"), "2026-11-18");
}

// The request path keeps sessions and settings in memory; what `provportal-sandbox admin` changes
// from another process (its own connection) must still apply at once.
TEST_F(IdempotentApi, ChangesFromAnotherProcessApplyAtOnce) {
  ASSERT_EQ(post(m_alice, james(), nullptr).status, 200);
  ASSERT_EQ(post(m_bob, james(), nullptr).status, 200);
  Portal admin(m_dir.path());
  ASSERT_TRUE(admin.accounts().admin_action("disable", "bob@clinic.example"));
  std::this_thread::sleep_for(k_change_check_interval * 2);
  EXPECT_EQ(post(m_bob, james(), nullptr).status, 401);
  EXPECT_EQ(post(m_alice, james(), nullptr).status, 200);
  admin.clock_advance(std::chrono::minutes{31});  // past the 30 idle minutes
  std::this_thread::sleep_for(k_change_check_interval * 2);
  EXPECT_EQ(post(m_alice, james(), nullptr).status, 401);
}

TEST_F(IdempotentApi, MalformedKeysAreRefused) {
  for (std::string key : {std::string(), std::string(129, 'x'), std::string("bad\x01key")}) {
    auto r = post(m_alice, james(), &key);
    EXPECT_EQ(r.status, 400) << key;
    EXPECT_EQ(body_of(r).at("error").at("code"), "invalid_idempotency_key");
  }
}

TEST_F(IdempotentApi, KeysOnOtherRoutesAreIgnored) {
  std::string key = "k-profile";
  HttpRequest req;
  req.method = "GET";
  req.target = req.path = "/v1/health-plans";
  req.headers.emplace_back("authorization", "Bearer " + m_alice);
  req.headers.emplace_back("idempotency-key", key);
  auto r = m_handler(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "Idempotent-Replayed"), "");
  EXPECT_GE(body_of(r).at("health_plans").as_array().size(), 4u);
}

}  // namespace
