// One connection to Redis (hiredis) under RAII, with a connect and a command timeout, so that a Redis that is
// down or frozen costs a caller at most those timeouts. Any I/O failure throws StoreUnavailable and leaves the
// connection broken (the pool drops it); an error reply (a wrong command, a script error, OOM) throws too but
// keeps the connection usable.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace draggan::server {

// redis://[:password@]host[:port][/db]
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;
  std::string describe() const;  // redis://host:port/db, never the password
};
// InputError naming the part at fault.
RedisEndpoint parse_redis_url(const std::string& url);

struct RedisTimeouts {
  std::chrono::milliseconds connect{500};
  std::chrono::milliseconds command{1000};
};

// A reply (owned); nested elements are views into the same reply.
class RedisReply {
 public:
  RedisReply() = default;
  explicit RedisReply(redisReply* owned);
  bool nil() const;
  bool is_string() const;  // bulk or status
  bool is_integer() const;
  bool is_array() const;
  bool is_error() const;
  std::string str() const;  // bulk/status text; "" for nil
  long long integer() const;
  size_t size() const;  // array elements
  RedisReply at(size_t i) const;

 private:
  RedisReply(std::shared_ptr<redisReply> root, redisReply* node) : root_(std::move(root)), node_(node) {}
  std::shared_ptr<redisReply> root_;
  redisReply* node_ = nullptr;
};

// A Lua script, called by its SHA-1 (EVALSHA) and sent whole only when Redis does not know it yet.
struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;
};

class RedisConnection {
 public:
  RedisConnection(const RedisEndpoint& endpoint, const RedisTimeouts& timeouts);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  RedisReply command(const std::vector<std::string_view>& args);
  // Several commands in one round trip; replies in order (error replies are returned, not thrown).
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string_view>>& commands);
  RedisReply eval(const RedisScript& script, const std::vector<std::string_view>& keys,
                  const std::vector<std::string_view>& args);
  bool broken() const { return broken_; }
  bool timed_out() const { return timed_out_; }  // the failure was Redis not answering in time

 private:
  [[noreturn]] void fail(const std::string& what);
  void append(const std::vector<std::string_view>& args);
  RedisReply read_reply();

  redisContext* context_ = nullptr;
  std::string where_;
  bool broken_ = false;
  bool timed_out_ = false;
};

}  // namespace draggan::server
