#include "server/store/RedisConnection.h"

#include <hiredis/hiredis.h>

#include "draggan/core/Error.h"
#include "draggan/core/Digest.h"
#include "server/store/StoreError.h"

namespace draggan::server {
namespace {

timeval redis_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

int parse_url_number(const std::string& text, const std::string& what, const std::string& url) {
  try {
    size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value >= 0) return value;
  } catch (const std::exception&) {
  }
  throw InputError("--store " + url + ": " + what + " \"" + text + "\" is not a number");
}

// An error reply as the edge reports it: Redis out of memory is the store being full, the rest a fault.
[[noreturn]] void throw_reply_error(const std::string& text, const std::string& where) {
  if (text.rfind("OOM", 0) == 0)
    throw StoreUnavailable("store_full", "the session store " + where + " is full (Redis maxmemory): " + text);
  throw Error("session store " + where + ": " + text);
}

}  // namespace

std::string RedisEndpoint::describe() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

RedisEndpoint parse_redis_url(const std::string& url) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) throw InputError("--store " + url + ": expected redis://HOST[:PORT][/DB]");
  std::string rest = url.substr(scheme.size());
  RedisEndpoint e;
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (const size_t colon = auth.find(':'); colon != std::string::npos) auth = auth.substr(colon + 1);
    e.password = auth;
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) e.db = parse_url_number(db, "database", url);
  }
  if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    e.port = parse_url_number(rest.substr(colon + 1), "port", url);
    rest = rest.substr(0, colon);
    if (e.port < 1 || e.port > 65535) throw InputError("--store " + url + ": port out of range");
  }
  if (rest.empty()) throw InputError("--store " + url + ": no host");
  e.host = rest;
  return e;
}

// --- replies

RedisReply::RedisReply(redisReply* owned) : root_(owned, &freeReplyObject), node_(owned) {}
bool RedisReply::nil() const { return !node_ || node_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_string() const {
  return node_ && (node_->type == REDIS_REPLY_STRING || node_->type == REDIS_REPLY_STATUS);
}
bool RedisReply::is_integer() const { return node_ && node_->type == REDIS_REPLY_INTEGER; }
bool RedisReply::is_array() const { return node_ && node_->type == REDIS_REPLY_ARRAY; }
bool RedisReply::is_error() const { return node_ && node_->type == REDIS_REPLY_ERROR; }
std::string RedisReply::str() const {
  if (!node_ || !node_->str) return {};
  return std::string(node_->str, node_->len);
}
long long RedisReply::integer() const { return is_integer() ? node_->integer : 0; }
size_t RedisReply::size() const { return is_array() ? node_->elements : 0; }
RedisReply RedisReply::at(size_t i) const {
  if (i >= size()) return RedisReply(root_, nullptr);
  return RedisReply(root_, node_->element[i]);
}

RedisScript::RedisScript(std::string text) : source(std::move(text)), sha1(sha1_hex(source)) {}

// --- the connection

RedisConnection::RedisConnection(const RedisEndpoint& endpoint, const RedisTimeouts& timeouts)
    : where_(endpoint.describe()) {
  context_ = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, redis_timeval(timeouts.connect));
  if (!context_) throw StoreUnavailable("store_unavailable", "session store " + where_ + ": out of memory");
  if (context_->err) fail("cannot connect");
  redisSetTimeout(context_, redis_timeval(timeouts.command));
  if (!endpoint.password.empty()) command({"AUTH", endpoint.password});
  if (endpoint.db != 0) command({"SELECT", std::to_string(endpoint.db)});
}

RedisConnection::~RedisConnection() {
  if (context_) redisFree(context_);
}

void RedisConnection::fail(const std::string& what) {
  broken_ = true;
  std::string detail = context_ && context_->err ? context_->errstr : "no reply";
  // hiredis reports a read timeout as "Resource temporarily unavailable".
  if (detail.find("temporarily unavailable") != std::string::npos) {
    detail = "timed out";
    timed_out_ = true;
  }
  throw StoreUnavailable("store_unavailable", "session store " + where_ + " unavailable: " + what + " (" + detail + ")");
}

void RedisConnection::append(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK)
    fail("cannot send a command");
}

RedisReply RedisConnection::read_reply() {
  void* reply = nullptr;
  if (redisGetReply(context_, &reply) != REDIS_OK || !reply) fail("no answer");
  return RedisReply(static_cast<redisReply*>(reply));
}

RedisReply RedisConnection::command(const std::vector<std::string_view>& args) {
  if (broken_) fail("connection lost earlier");
  append(args);
  RedisReply reply = read_reply();
  if (reply.is_error()) throw_reply_error(reply.str(), where_);
  return reply;
}

std::vector<RedisReply> RedisConnection::pipeline(const std::vector<std::vector<std::string_view>>& commands) {
  if (broken_) fail("connection lost earlier");
  for (const auto& c : commands) append(c);
  std::vector<RedisReply> replies;
  for (size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply());
  return replies;
}

RedisReply RedisConnection::eval(const RedisScript& script, const std::vector<std::string_view>& keys,
                                 const std::vector<std::string_view>& args) {
  const std::string count = std::to_string(keys.size());
  const auto call = [&](std::string_view verb, std::string_view body) {
    std::vector<std::string_view> argv{verb, body, count};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    if (broken_) fail("connection lost earlier");
    append(argv);
    return read_reply();
  };
  RedisReply reply = call("EVALSHA", script.sha1);
  // A Redis that restarted (or flushed its scripts) has forgotten it: send it whole once.
  if (reply.is_error() && reply.str().rfind("NOSCRIPT", 0) == 0) reply = call("EVAL", script.source);
  if (reply.is_error()) throw_reply_error(reply.str(), where_);
  return reply;
}

}  // namespace draggan::server
