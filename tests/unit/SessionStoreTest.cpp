// RedisSessionStore against a real redis-server: one holder at a time, writes fenced by the lease, a lapsed
// lease lost (kept only after a store outage when nobody took it), a forgotten session seeded again, blobs by
// hash, and a Redis that is frozen or full answered with StoreUnavailable within the timeouts.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server/http/HttpError.h"
#include "server/store/RedisSessionStore.h"
#include "server/store/StoreError.h"
#include "support/RedisProcess.h"

namespace draggan::server {
namespace session_store_test {

using namespace std::chrono_literals;

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::RedisProcess::available()) GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh)";
    redis_ = std::make_unique<test::RedisProcess>();
  }
  std::unique_ptr<RedisSessionStore> replica(const std::string& name, std::chrono::milliseconds lease = 600ms) {
    RedisStoreOptions o;
    o.endpoint = parse_redis_url(redis_->url());
    o.replica = name;
    o.lease_ttl = lease;
    o.timeouts.command = 300ms;
    return std::make_unique<RedisSessionStore>(o);
  }
  std::string doc(const std::string& id) { return redis_->cli("GET 'dg:{" + id + "}:doc'"); }
  std::unique_ptr<test::RedisProcess> redis_;
};

TEST_F(SessionStoreTest, ParsesRedisUrls) {
  const RedisEndpoint e = parse_redis_url("redis://:secret@example.org:6380/3");
  EXPECT_EQ(e.host, "example.org");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.db, 3);
  EXPECT_EQ(e.password, "secret");
  EXPECT_EQ(e.describe(), "redis://example.org:6380/3");
  EXPECT_EQ(parse_redis_url("redis://localhost").port, 6379);
  EXPECT_THROW(parse_redis_url("http://x:1"), InputError);
  EXPECT_THROW(parse_redis_url("redis://x:99999"), InputError);
}

TEST_F(SessionStoreTest, OneHolderAtATimeAndAliveHoldersAreNamed) {
  auto a = replica("a"), b = replica("b");
  const StoreLease lease = a->create("s1", "{\"v\":1}", {});
  EXPECT_EQ(lease.epoch, "1");
  EXPECT_EQ(a->renew("s1", lease, false), Fence::Held);
  // b waits while a renews: a is alive, so b is told who drives it.
  std::atomic<bool> stop{false};
  std::thread renewer([&] {
    while (!stop) {
      a->renew("s1", lease, false);
      std::this_thread::sleep_for(100ms);
    }
  });
  try {
    b->acquire("s1", 2000ms);
    ADD_FAILURE() << "b took a session a keeps renewing";
  } catch (const SessionElsewhere& e) {
    EXPECT_EQ(e.holder, "a");
    EXPECT_EQ(e.status, 421);
  }
  stop = true;
  renewer.join();
  EXPECT_THROW(b->acquire("unknown", 100ms), NotFoundError);
}

TEST_F(SessionStoreTest, ALapsedHolderIsFencedOutForGood) {
  auto a = replica("a"), b = replica("b");
  const StoreLease old = a->create("s1", "{\"v\":1}", {});
  // a stops renewing (frozen): b waits its lease out and takes over with a higher epoch.
  const StoredSession taken = b->acquire("s1", 2000ms);
  EXPECT_EQ(taken.doc, "{\"v\":1}");
  EXPECT_EQ(taken.lease.epoch, "2");
  const std::string newer = "{\"v\":2}";
  StoreCommit c;
  c.doc = &newer;
  EXPECT_EQ(b->commit("s1", taken.lease, c), Fence::Held);
  // a wakes up: every write and renewal it tries is refused, and what b wrote stays.
  const std::string stale = "{\"v\":\"stale\"}";
  StoreCommit s;
  s.doc = &stale;
  s.drag = &stale;
  EXPECT_EQ(a->commit("s1", old, s), Fence::Lost);
  EXPECT_EQ(a->renew("s1", old, false), Fence::Lost);
  EXPECT_EQ(a->renew("s1", old, true), Fence::Lost);  // even after an outage: the epoch moved on
  EXPECT_EQ(a->remove("s1", old), Fence::Lost);
  a->release("s1", old);  // compare-and-delete: b's lease stays
  EXPECT_EQ(doc("s1"), newer);
  EXPECT_EQ(redis_->cli("EXISTS 'dg:{s1}:drag'"), "0");
  EXPECT_EQ(b->renew("s1", taken.lease, false), Fence::Held);
}

TEST_F(SessionStoreTest, ALapsedLeaseNobodyTookIsKeptOnlyAfterAnOutage) {
  auto a = replica("a", 300ms);
  const StoreLease lease = a->create("s1", "{}", {});
  std::this_thread::sleep_for(450ms);  // lapsed, nobody took it
  EXPECT_EQ(a->renew("s1", lease, true), Fence::Held);   // the store was out of reach: the lapse was its own
  std::this_thread::sleep_for(450ms);
  EXPECT_EQ(a->renew("s1", lease, false), Fence::Lost);  // this replica was paused: lost
}

TEST_F(SessionStoreTest, ReleasedSessionsAreTakenAtOnce) {
  auto a = replica("a", 5000ms), b = replica("b", 5000ms);
  const StoreLease lease = a->create("s1", "{}", {});
  a->release("s1", lease);
  const auto started = std::chrono::steady_clock::now();
  b->acquire("s1", 5000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms);
}

TEST_F(SessionStoreTest, AForgottenSessionIsSeededAgainByItsHolder) {
  auto a = replica("a", 5000ms);
  const StoreLease lease = a->create("s1", "{\"v\":1}", {});
  redis_->cli("FLUSHALL");
  EXPECT_EQ(a->renew("s1", lease, false), Fence::Reseeded);
  const std::string again = "{\"v\":1}";
  StoreCommit c;
  c.doc = &again;
  EXPECT_EQ(a->commit("s1", lease, c), Fence::Held);
  EXPECT_EQ(doc("s1"), again);
  auto b = replica("b");
  EXPECT_THROW(b->acquire("s1", 300ms), SessionElsewhere);
}

TEST_F(SessionStoreTest, BlobsAreStoredOnceByHash) {
  auto a = replica("a");
  EXPECT_EQ(a->missing_blobs({"h1", "h2"}).size(), 2u);
  a->put_blobs({{"h1", std::string("\0bytes", 6)}});
  EXPECT_EQ(a->missing_blobs({"h1", "h2"}), std::vector<std::string>{"h2"});
  const auto got = a->get_blobs({"h1", "h2"});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.at("h1"), std::string("\0bytes", 6));
}

TEST_F(SessionStoreTest, AFrozenStoreIsReportedWithinTheTimeout) {
  auto a = replica("a");
  const StoreLease lease = a->create("s1", "{}", {});
  redis_->freeze();
  const auto started = std::chrono::steady_clock::now();
  try {
    a->renew("s1", lease, false);
    ADD_FAILURE() << "a frozen store answered";
  } catch (const StoreUnavailable& e) {
    EXPECT_EQ(e.reason, "store_unavailable");
    EXPECT_EQ(e.status, 503);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_FALSE(a->up());
  // Fail fast meanwhile, then find it back.
  const auto again = std::chrono::steady_clock::now();
  EXPECT_THROW(a->renew("s1", lease, false), StoreUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - again, 200ms);
  redis_->thaw();
  EXPECT_TRUE(a->ping());
  EXPECT_EQ(a->renew("s1", lease, true), Fence::Held);
}

TEST_F(SessionStoreTest, AFullStoreSaysSo) {
  auto a = replica("a");
  a->create("s1", "{}", {});
  // noeviction (deploy/redis.conf): past maxmemory every write is refused, nothing is evicted.
  redis_->cli("CONFIG SET maxmemory-policy noeviction");
  redis_->cli("CONFIG SET maxmemory 2mb");
  bool full = false;
  for (int i = 0; i < 4 && !full; ++i) {
    try {
      a->put_blobs({{"big" + std::to_string(i), std::string(1 << 20, 'x')}});
    } catch (const StoreUnavailable& e) {
      EXPECT_EQ(e.reason, "store_full");
      EXPECT_NE(std::string(e.what()).find("maxmemory"), std::string::npos) << e.what();
      full = true;
    }
  }
  EXPECT_TRUE(full) << "4 MB went into a 2 MB store";
  EXPECT_EQ(redis_->cli("EXISTS 'dg:{s1}:doc'"), "1");
}

TEST_F(SessionStoreTest, ADownStoreIsUnavailableNotAnError) {
  auto a = replica("a");
  redis_->stop();
  EXPECT_THROW(a->create("s1", "{}", {}), StoreUnavailable);
  EXPECT_FALSE(a->ping());
}

}  // namespace session_store_test
}  // namespace draggan::server
