#include "draggan/io/PickleReader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/io/MappedFile.h"
#include "draggan/io/PickleText.h"

namespace draggan {
namespace {

using Kind = PickleValue::Kind;

constexpr int kHighestProtocol = 5;

const char* opcode_name(uint8_t op) {
  // clang-format off
  static constexpr std::pair<uint8_t, const char*> kNames[] = {
      {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"},
      {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"},
      {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"},
      {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"},
      {'c', "GLOBAL"}, {'d', "DICT"}, {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"},
      {'i', "INST"}, {'j', "LONG_BINGET"}, {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"},
      {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"},
      {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"},
      {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"},
      {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"}, {'B', "BINBYTES"},
      {'C', "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"},
      {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
      {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"},
      {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
  };
  // clang-format on
  for (const auto& [code, name] : kNames)
    if (code == op) return name;
  return nullptr;
}

// The pickle virtual machine. Python's unpickler calls things; this one only records what would be called.
class Machine {
 public:
  Machine(PickleTree& tree, std::string_view data, size_t base, const PickleReadOptions& options)
      : tree_(tree), data_(data), base_(base), options_(options) {}

  PickleValue* run(size_t* consumed) {
    while (true) {
      op_pos_ = pos_;
      if (pos_ >= data_.size()) fail("pickle ends without STOP (truncated?)");
      op_ = static_cast<uint8_t>(data_[pos_++]);
      if (op_ == '.') {
        PickleValue* root = pop();
        if (consumed) *consumed = pos_;
        return root;
      }
      step();
    }
  }

 private:
  // ---- errors and input
  // --------------------------------------------------------------------------------------
  [[noreturn]] void fail(const std::string& message) const { tree_.fail(base_ + op_pos_, message); }
  std::string op_name() const {
    const char* n = opcode_name(op_);
    return n ? n : "opcode";
  }

  std::string_view take(uint64_t n) {
    const uint64_t left = data_.size() - pos_;
    if (n > left)
      fail(op_name() + " length " + std::to_string(n) + " exceeds the " + std::to_string(left) +
           " bytes left");
    std::string_view out = data_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  uint64_t read_uint(int bytes) {
    if (data_.size() - pos_ < static_cast<size_t>(bytes))
      fail(op_name() + " needs " + std::to_string(bytes) + " argument bytes, " +
           std::to_string(data_.size() - pos_) + " left");
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + k]);
    pos_ += bytes;
    return v;
  }
  std::string_view line() {
    const size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) fail(op_name() + " argument has no terminating newline");
    std::string_view out = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  int64_t line_int(std::string_view text) {
    if (!text.empty() && text.back() == 'L') text.remove_suffix(1);  // Python 2 longs
    const std::string s(text);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno == ERANGE)
      fail(op_name() + " argument '" + s.substr(0, 40) + "' is not an integer in the int64 range");
    return v;
  }

  // ---- stack
  // ---------------------------------------------------------------------------------------------------
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(PickleValue* v) { stack_.push_back(v); }
  PickleValue* pop() {
    if (stack_.size() <= fence())
      fail(op_name() + " needs a value but the stack is empty" +
           (marks_.empty() ? "" : " (above the last MARK)"));
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleValue* top() {
    if (stack_.size() <= fence()) fail(op_name() + " needs a value but the stack is empty");
    return stack_.back();
  }
  std::vector<PickleValue*> pop_mark() {
    if (marks_.empty()) fail(op_name() + " without a MARK");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  PickleValue* make(Kind kind) { return tree_.make(kind, base_ + op_pos_); }

  PickleValue* make_int(int64_t v) {
    PickleValue* n = make(Kind::Int);
    n->int_value = v;
    return n;
  }
  PickleValue* make_text(Kind kind, std::string_view text) {
    if (kind == Kind::String && !pickle_text::is_valid_utf8(text))
      fail(op_name() + " string is not valid UTF-8");
    PickleValue* n = make(kind);
    n->text = text;
    return n;
  }
  // Python 2 str: bytes of unknown encoding, read as latin-1 (as torch.load(encoding='latin1') does).
  PickleValue* make_latin1(std::string_view raw) {
    bool ascii = true;
    for (char c : raw) ascii &= static_cast<unsigned char>(c) < 0x80;
    if (ascii) return make_text(Kind::String, raw);
    std::string text;
    for (char c : raw) pickle_text::append_utf8(text, static_cast<unsigned char>(c));
    return make_text(Kind::String, tree_.keep(std::move(text)));
  }
  PickleValue* make_seq(Kind kind, std::vector<PickleValue*> items) {
    PickleValue* n = make(kind);
    n->items = std::move(items);
    return n;
  }
  PickleValue* make_global(std::string_view module, std::string_view name) {
    PickleValue* n = make(Kind::Global);
    n->text = module;
    n->name = name;
    return n;
  }
  PickleValue* make_object(PickleValue* callable, PickleValue* args, PickleValue::Construct how) {
    PickleValue* n = make(Kind::Object);
    n->callable = callable;
    n->args = args;
    n->construct = how;
    return n;
  }
  // LONG1/LONG4: little-endian two's complement of any length.
  PickleValue* make_long(std::string_view bytes) {
    const size_t n = bytes.size();
    if (n == 0) return make_int(0);
    const bool negative = static_cast<unsigned char>(bytes[n - 1]) & 0x80;
    // Fits in int64 when every byte above the low eight repeats the sign, and so does bit 63.
    bool fits = true;
    for (size_t k = 8; k < n; ++k) fits &= static_cast<unsigned char>(bytes[k]) == (negative ? 0xff : 0x00);
    if (n > 8) fits &= ((static_cast<unsigned char>(bytes[7]) & 0x80) != 0) == negative;
    if (!fits) return make_text(Kind::BigInt, bytes);
    uint64_t v = negative ? ~uint64_t{0} : 0;
    for (size_t k = std::min<size_t>(n, 8); k-- > 0;) v = (v << 8) | static_cast<unsigned char>(bytes[k]);
    return make_int(static_cast<int64_t>(v));
  }

  void memo_put(uint64_t key) { memo_[key] = top(); }
  PickleValue* memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail(op_name() + ": memo key " + std::to_string(key) + " is not defined");
    return it->second;
  }

  void add_entries(PickleValue* target, const std::vector<PickleValue*>& kv) {
    if (!target->is(Kind::Dict) && !target->is(Kind::Object))
      fail(op_name() + " onto " + describe(*target) + ", expected a dict");
    if (kv.size() % 2)
      fail(op_name() + " with an odd number (" + std::to_string(kv.size()) + ") of keys and values");
    for (size_t k = 0; k < kv.size(); k += 2) target->entries.emplace_back(kv[k], kv[k + 1]);
  }
  void add_items(PickleValue* target, const std::vector<PickleValue*>& items, Kind expected) {
    if (!target->is(expected) && !target->is(Kind::Object))
      fail(op_name() + " onto " + describe(*target) + ", expected a " + kind_name(expected));
    target->items.insert(target->items.end(), items.begin(), items.end());
  }
  std::string_view global_part(PickleValue* v, const char* what) {
    if (!v->is_string()) fail(op_name() + " " + what + " is " + describe(*v) + ", expected a str");
    return v->text;
  }

  void step();

  PickleTree& tree_;
  std::string_view data_;
  size_t base_;
  const PickleReadOptions& options_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
};

void Machine::step() {
  using Construct = PickleValue::Construct;
  switch (op_) {
    // ---- framing and protocol ----
    case 0x80: {
      const uint64_t proto = read_uint(1);
      if (proto > kHighestProtocol) fail("unsupported pickle protocol " + std::to_string(proto));
      return;
    }
    case 0x95: {
      const uint64_t n = read_uint(8);
      if (n > data_.size() - pos_)
        fail("FRAME length " + std::to_string(n) + " exceeds the " + std::to_string(data_.size() - pos_) +
             " bytes left");
      return;  // frames only help buffered readers; the bytes are all here
    }
    case '(':
      if (marks_.size() >= options_.max_mark_depth)
        fail("MARK nesting deeper than " + std::to_string(options_.max_mark_depth));
      marks_.push_back(stack_.size());
      return;
    case '0':
      if (stack_.size() > fence()) {
        stack_.pop_back();
      } else if (!marks_.empty()) {
        marks_.pop_back();  // Python's POP drops a MARK when nothing is above it
      } else {
        fail("POP on an empty stack");
      }
      return;
    case '1':
      pop_mark();
      return;
    case '2':
      push(top());
      return;

    // ---- constants and numbers ----
    case 'N':
      push(make(Kind::None));
      return;
    case 0x88:
    case 0x89: {
      PickleValue* b = make(Kind::Bool);
      b->int_value = op_ == 0x88;
      push(b);
      return;
    }
    case 'I': {
      const std::string_view text = line();
      if (text == "00" || text == "01") {  // protocol 0 booleans
        PickleValue* b = make(Kind::Bool);
        b->int_value = text == "01";
        push(b);
      } else {
        push(make_int(line_int(text)));
      }
      return;
    }
    case 'L':
      push(make_int(line_int(line())));
      return;
    case 'J':
      push(make_int(static_cast<int32_t>(read_uint(4))));
      return;
    case 'K':
      push(make_int(static_cast<int64_t>(read_uint(1))));
      return;
    case 'M':
      push(make_int(static_cast<int64_t>(read_uint(2))));
      return;
    case 0x8a:
      push(make_long(take(read_uint(1))));
      return;
    case 0x8b: {
      const auto n = static_cast<int32_t>(read_uint(4));
      if (n < 0) fail("LONG4 with negative length " + std::to_string(n));
      push(make_long(take(static_cast<uint64_t>(n))));
      return;
    }
    case 'F': {
      const std::string s(line());
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0') fail("FLOAT argument '" + s.substr(0, 40) + "' is not a number");
      PickleValue* f = make(Kind::Float);
      f->float_value = v;
      push(f);
      return;
    }
    case 'G': {
      uint64_t bits = 0;
      for (char c : take(8)) bits = (bits << 8) | static_cast<unsigned char>(c);  // big-endian
      double v;
      std::memcpy(&v, &bits, sizeof v);
      PickleValue* f = make(Kind::Float);
      f->float_value = v;
      push(f);
      return;
    }

    // ---- strings and bytes ----
    case 'X':
      push(make_text(Kind::String, take(read_uint(4))));
      return;
    case 0x8c:
      push(make_text(Kind::String, take(read_uint(1))));
      return;
    case 0x8d:
      push(make_text(Kind::String, take(read_uint(8))));
      return;
    case 'B':
      push(make_text(Kind::Bytes, take(read_uint(4))));
      return;
    case 'C':
      push(make_text(Kind::Bytes, take(read_uint(1))));
      return;
    case 0x8e:
      push(make_text(Kind::Bytes, take(read_uint(8))));
      return;
    case 0x96:
      push(make_text(Kind::ByteArray, take(read_uint(8))));
      return;
    case 'T': {
      const auto n = static_cast<int32_t>(read_uint(4));
      if (n < 0) fail("BINSTRING with negative length " + std::to_string(n));
      push(make_latin1(take(static_cast<uint64_t>(n))));
      return;
    }
    case 'U':
      push(make_latin1(take(read_uint(1))));
      return;
    case 'S': {
      auto text = pickle_text::unquote_string(line());
      if (!text) fail("STRING argument is not a quoted string");
      push(make_text(Kind::String, tree_.keep(std::move(*text))));
      return;
    }
    case 'V': {
      auto text = pickle_text::decode_raw_unicode_escape(line());
      if (!text) fail("UNICODE argument has a malformed \\u escape");
      push(make_text(Kind::String, tree_.keep(std::move(*text))));
      return;
    }

    // ---- containers ----
    case ')':
      push(make(Kind::Tuple));
      return;
    case ']':
      push(make(Kind::List));
      return;
    case '}':
      push(make(Kind::Dict));
      return;
    case 0x8f:
      push(make(Kind::Set));
      return;
    case 't':
      push(make_seq(Kind::Tuple, pop_mark()));
      return;
    case 'l':
      push(make_seq(Kind::List, pop_mark()));
      return;
    case 0x91:
      push(make_seq(Kind::FrozenSet, pop_mark()));
      return;
    case 0x85:
    case 0x86:
    case 0x87: {
      std::vector<PickleValue*> items(op_ - 0x84);
      for (size_t k = items.size(); k-- > 0;) items[k] = pop();
      push(make_seq(Kind::Tuple, std::move(items)));
      return;
    }
    case 'd': {
      auto kv = pop_mark();
      PickleValue* d = make(Kind::Dict);
      add_entries(d, kv);
      push(d);
      return;
    }
    case 's': {
      PickleValue* value = pop();
      PickleValue* key = pop();
      add_entries(top(), {key, value});
      return;
    }
    case 'u': {
      auto kv = pop_mark();
      add_entries(top(), kv);
      return;
    }
    case 'a': {
      PickleValue* item = pop();
      add_items(top(), {item}, Kind::List);
      return;
    }
    case 'e': {
      auto items = pop_mark();
      add_items(top(), items, Kind::List);
      return;
    }
    case 0x90: {
      auto items = pop_mark();
      add_items(top(), items, Kind::Set);
      return;
    }

    // ---- memo ----
    case 'p': {
      const int64_t key = line_int(line());
      if (key < 0) fail("PUT with negative memo key " + std::to_string(key));
      memo_put(static_cast<uint64_t>(key));
      return;
    }
    case 'q':
      memo_put(read_uint(1));
      return;
    case 'r':
      memo_put(read_uint(4));
      return;
    case 0x94:
      memo_put(memo_.size());
      return;
    case 'g': {
      const int64_t key = line_int(line());
      if (key < 0) fail("GET with negative memo key " + std::to_string(key));
      push(memo_get(static_cast<uint64_t>(key)));
      return;
    }
    case 'h':
      push(memo_get(read_uint(1)));
      return;
    case 'j':
      push(memo_get(read_uint(4)));
      return;

    // ---- globals and objects: recorded, never called ----
    case 'c': {
      const std::string_view module = line();
      const std::string_view name = line();
      push(make_global(module, name));
      return;
    }
    case 0x93: {
      PickleValue* name = pop();
      PickleValue* module = pop();
      push(make_global(global_part(module, "module"), global_part(name, "name")));
      return;
    }
    case 'R': {
      PickleValue* args = pop();
      PickleValue* callable = pop();
      if (!args->is(Kind::Tuple)) fail("REDUCE arguments are " + describe(*args) + ", expected a tuple");
      push(make_object(callable, args, Construct::Reduce));
      return;
    }
    case 0x81: {
      PickleValue* args = pop();
      PickleValue* cls = pop();
      if (!args->is(Kind::Tuple)) fail("NEWOBJ arguments are " + describe(*args) + ", expected a tuple");
      push(make_object(cls, args, Construct::NewObj));
      return;
    }
    case 0x92: {
      PickleValue* kwargs = pop();
      PickleValue* args = pop();
      PickleValue* cls = pop();
      if (!args->is(Kind::Tuple)) fail("NEWOBJ_EX arguments are " + describe(*args) + ", expected a tuple");
      if (!kwargs->is(Kind::Dict)) fail("NEWOBJ_EX keywords are " + describe(*kwargs) + ", expected a dict");
      PickleValue* obj = make_object(cls, args, Construct::NewObj);
      obj->kwargs = kwargs;
      push(obj);
      return;
    }
    case 'i': {
      const std::string_view module = line();
      const std::string_view name = line();
      PickleValue* args = make_seq(Kind::Tuple, pop_mark());
      push(make_object(make_global(module, name), args, Construct::Inst));
      return;
    }
    case 'o': {
      auto items = pop_mark();
      if (items.empty()) fail("OBJ without a class");
      PickleValue* cls = items.front();
      PickleValue* args = make_seq(Kind::Tuple, std::vector<PickleValue*>(items.begin() + 1, items.end()));
      push(make_object(cls, args, Construct::Inst));
      return;
    }
    case 'b': {
      PickleValue* state = pop();
      PickleValue* obj = top();
      if (!obj->is(Kind::Object)) fail("BUILD on " + describe(*obj) + ", expected an object");
      obj->state = state;
      return;
    }
    case 'P':
    case 'Q': {
      PickleValue* pid = op_ == 'P' ? make_text(Kind::String, line()) : pop();
      if (options_.persistent_load) {
        PickleValue* v = options_.persistent_load(tree_, pid);
        if (!v) fail(op_name() + ": persistent id " + describe(*pid) + " was not resolved");
        push(v);
      } else {
        PickleValue* p = make(Kind::Persistent);
        p->args = pid;
        push(p);
      }
      return;
    }

    // ---- refused ----
    case 0x82:
    case 0x83:
    case 0x84:
      fail(op_name() + ": copyreg extension codes are not supported");
    case 0x97:
      fail("NEXT_BUFFER: out-of-band buffers are not supported");
    case 0x98:
      top();
      return;  // READONLY_BUFFER changes nothing we record
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op_);
      fail(std::string("unknown opcode ") + hex +
           (op_ >= 0x20 && op_ < 0x7f ? std::string(" '") + char(op_) + "'" : "") +
           " (not a pickle, or corrupt)");
    }
  }
}

}  // namespace

PickleValue* read_pickle(PickleTree& tree, std::string_view data, size_t base_offset, size_t* consumed,
                         const PickleReadOptions& options) {
  return Machine(tree, data, base_offset, options).run(consumed);
}

std::unique_ptr<PickleTree> parse_pickle(std::string bytes, std::string origin,
                                         const PickleReadOptions& options) {
  auto tree = std::make_unique<PickleTree>(std::move(bytes), std::move(origin));
  tree->set_root(read_pickle(*tree, tree->data(), 0, nullptr, options));
  return tree;
}

std::unique_ptr<PickleTree> read_pickle_file(const std::string& path, const PickleReadOptions& options) {
  // Mapped, not read: checkpoints reach hundreds of MB, and readers copy out only the tensors they use.
  if (std::shared_ptr<const MappedFile> mapped = MappedFile::map(path)) {
    auto tree = std::make_unique<PickleTree>(mapped, mapped->bytes(), path);
    tree->set_root(read_pickle(*tree, tree->data(), 0, nullptr, options));
    return tree;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw CheckpointError(path + ": read error");
  return parse_pickle(std::move(bytes), path, options);
}

}  // namespace draggan
