#include "server/http/JsonBody.h"

#include <vector>

#include "draggan/core/Error.h"
#include "server/ServerLimits.h"

namespace draggan::server {
namespace {

using Json = nlohmann::json;

// nlohmann's SAX interface building the document as its own DOM parser does, refusing as soon as a limit is
// passed (nlohmann's callback parser checks nothing until a value is built, and is ~50x slower).
class BoundedBuilder {
 public:
  BoundedBuilder(Json& root, const JsonBudget& budget) : root_(root), budget_(budget) {}
  const std::string& refusal() const { return refusal_; }

  bool null() { return value(nullptr); }
  bool boolean(bool v) { return value(v); }
  bool number_integer(Json::number_integer_t v) { return value(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return value(v); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return value(v); }
  bool string(Json::string_t& v) { return text(v) && value(std::move(v)); }
  bool binary(Json::binary_t& v) { return value(Json::binary(std::move(v))); }
  bool start_object(std::size_t) { return cost(kObjectBytes) && open(Json::object()); }
  bool start_array(std::size_t) { return cost(kArrayBytes) && open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(Json::string_t& k) {
    if (!count() || !text(k) || !cost(kMemberBytes)) return false;
    pending_ = &(*stack_.back())[k];
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    refusal_ = std::string("malformed JSON: ") + e.what();
    return false;
  }

 private:
  // Estimated heap bytes beyond a value's own 16: what nlohmann allocates for it (with malloc's overhead).
  static constexpr size_t kStringBytes = 48;   // the std::string it points to
  static constexpr size_t kObjectBytes = 64;   // the std::map
  static constexpr size_t kArrayBytes = 40;    // the std::vector
  static constexpr size_t kMemberBytes = 80;   // a map node with its key
  static constexpr size_t kValueBytes = 16;
  bool cost(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ <= budget_.max_bytes) return true;
    refusal_ = "the JSON document would take more than " + std::to_string(budget_.max_bytes >> 20) + " MB of memory";
    return false;
  }
  bool text(const Json::string_t& s) {
    if (++strings_ > budget_.max_strings) {
      refusal_ = "more than " + std::to_string(budget_.max_strings) + " JSON strings and keys";
      return false;
    }
    return cost(kStringBytes + (s.capacity() > 15 ? s.capacity() + 1 : 0));
  }
  bool count() {
    if (++values_ > budget_.max_values) {
      refusal_ = "more than " + std::to_string(budget_.max_values) + " JSON values";
      return false;
    }
    // An array's element may cost twice its size while the vector grows.
    return cost(!stack_.empty() && stack_.back()->is_array() ? 2 * kValueBytes : kValueBytes);
  }
  Json* place(Json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(v));
      return &stack_.back()->back();
    }
    *pending_ = std::move(v);
    return pending_;
  }
  bool value(Json&& v) {
    if (!count()) return false;
    place(std::move(v));
    return true;
  }
  bool open(Json&& container) {
    if (!count()) return false;
    if (static_cast<int>(stack_.size()) >= limits::kJsonDepth) {
      refusal_ = "JSON nested deeper than " + std::to_string(limits::kJsonDepth) + " levels";
      return false;
    }
    // Objects and arrays cost far more than numbers: a container holds only so many of them.
    if (!containers_.empty() && ++containers_.back() > limits::kJsonContainersPerContainer) {
      refusal_ = "more than " + std::to_string(limits::kJsonContainersPerContainer) +
                 " objects or arrays inside one JSON array or object";
      return false;
    }
    stack_.push_back(place(std::move(container)));
    containers_.push_back(0);
    return true;
  }
  bool close() {
    stack_.pop_back();
    containers_.pop_back();
    return true;
  }

  Json& root_;
  const JsonBudget budget_;
  size_t values_ = 0, strings_ = 0, bytes_ = 0;
  std::vector<Json*> stack_;
  std::vector<size_t> containers_;
  Json* pending_ = nullptr;
  std::string refusal_;
};

}  // namespace

nlohmann::json parse_json_object(const std::string& text, const JsonBudget& budget, const std::string& what) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  Json body;
  BoundedBuilder builder(body, budget);
  if (!Json::sax_parse(text, &builder)) throw InputError(what + ": " + builder.refusal());
  if (!body.is_object()) throw InputError(what + ": the JSON body must be an object");
  return body;
}

}  // namespace draggan::server
