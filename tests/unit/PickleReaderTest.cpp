// The pickle reader builds values without executing anything, and every malformed input (truncated, hostile,
// mistyped) ends in a CheckpointError naming the offset, never a crash. On top of it: torch tensors (plain
// pickles, legacy and zip torch.save files) and NVIDIA snapshots (tests/data/tiny_sg2.pkl).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "draggan/core/Error.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/NvidiaKwargs.h"
#include "draggan/io/NvidiaPickle.h"
#include "draggan/io/PickleJson.h"
#include "draggan/io/PickleNumpy.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/TorchFile.h"
#include "draggan/io/TorchModuleTree.h"
#include "draggan/io/TorchPickle.h"

namespace draggan {
namespace pickle_reader_test {

namespace fs = std::filesystem;
using Kind = PickleValue::Kind;

const std::string kTinyPkl = DRAGGAN_TEST_DATA "/tiny_sg2.pkl";

// ---- byte-string builders
// -----------------------------------------------------------------------------------
std::string op(int c) { return std::string(1, static_cast<char>(c)); }
std::string le(uint64_t v, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
  return out;
}
std::string su(std::string_view s) {
  return op(0x8c) + le(s.size(), 1) + std::string(s);
}  // SHORT_BINUNICODE
std::string bu(std::string_view s) { return "X" + le(s.size(), 4) + std::string(s); }  // BINUNICODE
std::string k1(int v) { return "K" + le(v, 1); }                                       // BININT1
std::string glob(const std::string& m, const std::string& n) { return "c" + m + "\n" + n + "\n"; }
std::string proto2(const std::string& body) { return op(0x80) + op(2) + body + "."; }

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("draggan_pk_" + std::to_string(getpid()) + "_" + name)).string();
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// d[key], failing the test (not crashing it) when absent.
const PickleValue* at(const PickleValue& d, std::string_view key) {
  const PickleValue* v = d.get(key);
  if (!v) throw std::runtime_error("missing key " + std::string(key));
  return v;
}

std::unique_ptr<PickleTree> parse(const std::string& bytes) { return parse_pickle(bytes, "test.pkl"); }

// Expects a CheckpointError whose message contains every needle.
void expect_error(const std::string& bytes, std::initializer_list<std::string> needles) {
  try {
    parse(bytes);
    ADD_FAILURE() << "no error; expected: " << *needles.begin();
  } catch (const CheckpointError& e) {
    const std::string msg = e.what();
    for (const auto& n : needles)
      EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
}

// A legacy torch.save stream of one float storage (what torch.storage._load_from_bytes receives).
std::string legacy_float_stream(const std::vector<float>& values, const std::string& key = "0") {
  const unsigned char magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  std::string s = proto2(op(0x8a) + le(10, 1) + std::string(reinterpret_cast<const char*>(magic), 10));
  s += proto2("M" + le(1001, 2));
  s += proto2("}" + bu("little_endian") + op(0x88) + "s");
  s += proto2("(" + bu("storage") + glob("torch", "FloatStorage") + bu(key) + bu("cpu") + "J" +
              le(values.size(), 4) + "Nt" + "Q");
  s += proto2("]" + bu(key) + "a");
  s += le(values.size(), 8);
  s += std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return s;
}

// _rebuild_tensor_v2(storage, offset, size, stride, False, {}) around `storage` opcodes.
std::string rebuild_tensor(const std::string& storage, int offset, std::vector<int> size,
                           std::vector<int> stride) {
  std::string s = glob("torch._utils", "_rebuild_tensor_v2") + "(" + storage + k1(offset) + "(";
  for (int v : size) s += k1(v);
  s += "t(";
  for (int v : stride) s += k1(v);
  return s + "t" + op(0x89) + "}tR";
}

std::string load_from_bytes(const std::string& stream) {
  return glob("torch.storage", "_load_from_bytes") + "B" + le(stream.size(), 4) + stream + op(0x85) + "R";
}

// ---- the value tree
// -----------------------------------------------------------------------------------------
TEST(PickleReader, ReadsProtocol2DictWithNumbersAndStrings) {
  auto tree =
      parse(proto2("}q" + le(0, 1) + "(" + bu("a") + k1(7) + bu("b") + "G" +
                   std::string("\x3f\xf8\0\0\0\0\0\0", 8) + bu("c") + "J" + le(static_cast<uint32_t>(-5), 4) +
                   bu("d") + "M" + le(40000, 2) + bu("e") + "N" + bu("f") + op(0x88) + "u"));
  const PickleValue& d = *tree->root();
  ASSERT_TRUE(d.is(Kind::Dict));
  EXPECT_EQ(at(d, "a")->int_value, 7);
  EXPECT_DOUBLE_EQ(at(d, "b")->float_value, 1.5);
  EXPECT_EQ(at(d, "c")->int_value, -5);
  EXPECT_EQ(at(d, "d")->int_value, 40000);
  EXPECT_TRUE(at(d, "e")->is_none());
  EXPECT_TRUE(at(d, "f")->is(Kind::Bool));
  EXPECT_EQ(at(d, "f")->int_value, 1);
  EXPECT_EQ(d.get("missing"), nullptr);
}

TEST(PickleReader, ReadsProtocol0TextOpcodes) {
  auto tree = parse(
      "(dp0\nS'a\\n\\x41'\np1\nI01\nsS\"b\"\nF2.5\nsVcaf\\u00e9\nL-12345678901L\nsS'i'\nI42\nsS'g'\ng1\ns.");
  const PickleValue& d = *tree->root();
  EXPECT_EQ(at(d, "a\nA")->int_value, 1);
  EXPECT_TRUE(at(d, "a\nA")->is(Kind::Bool));
  EXPECT_DOUBLE_EQ(at(d, "b")->float_value, 2.5);
  EXPECT_EQ(at(d, "caf\xc3\xa9")->int_value, -12345678901LL);
  EXPECT_EQ(at(d, "i")->int_value, 42);
  EXPECT_EQ(at(d, "g")->text, "a\nA");  // GET of memo 1 (the first key)
}

TEST(PickleReader, ReadsLongsOfAnyLength) {
  auto tree = parse(proto2("(" + op(0x8a) + le(0, 1) + op(0x8a) + le(1, 1) + "\xff" + op(0x8a) + le(2, 1) +
                           "\xff\x7f" + op(0x8a) + le(9, 1) + le(0, 8) + "\x01" + op(0x8b) + le(8, 4) +
                           le(0x8000000000000000ull, 8) + op(0x8a) + le(9, 1) + le(0xffffffffffffffffull, 8) +
                           "\xff" + "l"));
  const auto& items = tree->root()->items;
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0]->int_value, 0);
  EXPECT_EQ(items[1]->int_value, -1);
  EXPECT_EQ(items[2]->int_value, 32767);
  EXPECT_TRUE(items[3]->is(Kind::BigInt));  // 2^64
  EXPECT_EQ(items[4]->int_value, INT64_MIN);
  EXPECT_EQ(items[5]->int_value, -1);  // 9 bytes, but fits
}

TEST(PickleReader, MemoSharesNodes) {
  // [x, x] where x = [] memoized by MEMOIZE and by BINPUT, fetched by BINGET / LONG_BINGET.
  auto tree = parse(op(0x80) + op(4) + op(0x95) + le(12, 8) + "]" + op(0x94) + "]q" + le(7, 1) + "h" +
                    le(0, 1) + "j" + le(7, 4) + op(0x86) + ".");
  const PickleValue& t = *tree->root();
  ASSERT_TRUE(t.is(Kind::Tuple));
  ASSERT_EQ(t.items.size(), 2u);
  // The stack still holds the first two lists below the tuple; the tuple is (memo 0, memo 7).
  EXPECT_TRUE(t.items[0]->is(Kind::List));
  EXPECT_NE(t.items[0], t.items[1]);
  auto again = parse(proto2("]q" + le(3, 1) + "h" + le(3, 1) + op(0x86)));
  EXPECT_EQ(again->root()->items[0], again->root()->items[1]);
}

TEST(PickleReader, RecordsGlobalsAndObjectsWithoutCallingThem) {
  const std::string body = su("collections") + su("OrderedDict") + op(0x93) + ")R(" + su("w") + k1(1) +
                           su("v") + k1(2) + "u" + glob("mymod", "Thing") + ")" + op(0x81) + "}" + su("x") +
                           k1(3) + "sb" + glob("mymod", "Kw") + ")}" + su("k") + k1(4) + "s" + op(0x92) +
                           op(0x87);
  auto tree = parse(op(0x80) + op(4) + body + ".");
  const auto& items = tree->root()->items;
  ASSERT_EQ(items.size(), 3u);
  const PickleValue& od = *items[0];
  EXPECT_TRUE(od.is_call_of("collections", "OrderedDict"));
  EXPECT_EQ(at(od, "v")->int_value, 2);
  EXPECT_EQ(od.qualified_name(), "collections.OrderedDict");
  const PickleValue& thing = *items[1];
  EXPECT_EQ(thing.construct, PickleValue::Construct::NewObj);
  EXPECT_EQ(at(*thing.state, "x")->int_value, 3);
  EXPECT_EQ(at(*items[2]->kwargs, "k")->int_value, 4);
}

TEST(PickleReader, ReadsInstObjSetsBytesAndPersistentIds) {
  const std::string body = "((i__main__\nFoo\n" + k1(1) + "(" + glob("m", "C") + k1(2) + "o" + op(0x8f) +
                           "(" + k1(5) + k1(6) + op(0x90) + "(" + k1(7) + op(0x91) + "C" + le(3, 1) + "abc" +
                           op(0x8e) + le(2, 8) + "xy" + op(0x96) + le(1, 8) + "z" + "Pkey\n" + bu("pid") +
                           "Q" + k1(9) + "2" + "0" + "(" + k1(1) + "1" + "t";
  auto tree = parse(op(0x80) + op(5) + body + ".");
  const auto& items = tree->root()->items;
  ASSERT_EQ(items.size(), 11u);
  EXPECT_TRUE(items[0]->is_call_of("__main__", "Foo"));
  EXPECT_EQ(items[0]->args->items.size(), 0u);
  EXPECT_EQ(items[1]->int_value, 1);
  EXPECT_EQ(items[2]->args->items[0]->int_value, 2);  // OBJ: class C, args (2,)
  EXPECT_EQ(items[3]->items.size(), 2u);              // set {5, 6}
  EXPECT_TRUE(items[4]->is(Kind::FrozenSet));
  EXPECT_EQ(items[5]->text, "abc");
  EXPECT_EQ(items[6]->text, "xy");
  EXPECT_TRUE(items[7]->is(Kind::ByteArray));
  // PERSID and BINPERSID become Persistent nodes; DUP + POP leave one 9; POP_MARK drops the marked 1.
  EXPECT_TRUE(items[8]->is(Kind::Persistent));
  EXPECT_EQ(items[8]->args->text, "key");
  EXPECT_EQ(items[9]->args->text, "pid");
  EXPECT_EQ(items[10]->int_value, 9);
}

TEST(PickleReader, OffsetsPointAtTheOpcode) {
  auto tree = parse(proto2(k1(1) + k1(2) + op(0x86)));
  EXPECT_EQ(tree->root()->offset, 6u);
  EXPECT_EQ(tree->root()->items[1]->offset, 4u);
}

// ---- malformed input
// ----------------------------------------------------------------------------------------
TEST(PickleReader, EveryTruncationIsAnError) {
  const std::string full =
      proto2("}(" + su("a") + "(" + k1(1) + bu("text") + "G" + le(0, 8) + "l" + su("b") + glob("m", "f") +
             "(" + op(0x8a) + le(2, 1) + "\x01\x02" + "tR" + su("c") + "C" + le(4, 1) + "abcd" + "u");
  ASSERT_NO_THROW(parse(full));
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_THROW(parse(full.substr(0, n)), CheckpointError) << "prefix " << n;
}

TEST(PickleReader, RandomCorruptionNeverCrashes) {
  const std::string good = slurp(kTinyPkl).substr(0, 5000);  // header and the first tensor
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    try {
      parse(bad);
    } catch (const CheckpointError&) {
    }
  }
}

TEST(PickleReader, RejectsUnknownOpcode) {
  expect_error(op(0x80) + op(2) + op(0xff), {"test.pkl: offset 2", "unknown opcode 0xff"});
}

TEST(PickleReader, RejectsAbsurdLengths) {
  expect_error(op(0x80) + op(4) + op(0x8d) + le(1ull << 40, 8) + "abc.",
               {"offset 2", "1099511627776", "exceeds"});
  expect_error(op(0x80) + op(2) + "X" + le(0xffffffffu, 4) + "abc.",
               {"BINUNICODE length 4294967295", "exceeds"});
  expect_error(op(0x80) + op(4) + op(0x95) + le(1ull << 62, 8) + "N.", {"FRAME"});
  expect_error(op(0x80) + op(2) + op(0x8b) + le(0x80000000u, 4) + ".", {"LONG4 with negative length"});
}

TEST(PickleReader, RejectsMissingMemoKeysAndStackUnderflow) {
  expect_error(proto2("h" + le(5, 1)), {"memo key 5 is not defined"});
  expect_error(op(0x80) + op(2) + ".", {"offset 2", "stack is empty"});
  expect_error(proto2(k1(1) + "(s"), {"SETITEM", "stack is empty"});  // values below the MARK are off limits
  expect_error(proto2("t"), {"TUPLE without a MARK"});
  expect_error(proto2(op(0x94)), {"MEMOIZE", "stack is empty"});
  expect_error(proto2("0"), {"POP on an empty stack"});
}

TEST(PickleReader, CapsMarkNesting) {
  expect_error(op(0x80) + op(2) + std::string(5000, '(') + ".", {"MARK nesting deeper than 1000"});
}

TEST(PickleReader, RejectsWrongTypes) {
  expect_error(proto2("](" + k1(1) + k1(2) + "u"), {"SETITEMS onto list", "expected a dict"});
  expect_error(proto2("}" + k1(1) + "a"), {"APPEND onto dict"});
  expect_error(proto2("}(" + k1(1) + "u"), {"odd number"});
  expect_error(proto2(k1(1) + "}b"), {"BUILD on int 1"});
  expect_error(proto2(glob("m", "f") + "]R"), {"REDUCE arguments are list"});
  expect_error(proto2(k1(1) + su("x") + op(0x93)), {"STACK_GLOBAL module is int 1"});
  expect_error(proto2("}(" + k1(1) + op(0x90)), {"ADDITEMS onto dict"});
}

TEST(PickleReader, RejectsBadTextAndUnsupportedFeatures) {
  expect_error(proto2("X" + le(2, 4) + "\xc3\x28"), {"not valid UTF-8"});
  expect_error(proto2("S'unterminated\n"), {"STRING argument"});
  expect_error(proto2("Ixyz\n"), {"INT argument"});
  expect_error(op(0x80) + op(6) + "N.", {"unsupported pickle protocol 6"});
  expect_error(proto2(op(0x82) + le(1, 1)), {"EXT1", "not supported"});
  expect_error(op(0x80) + op(5) + op(0x97) + ".", {"NEXT_BUFFER"});
  expect_error(proto2("cmodule_without_newline"), {"no terminating newline"});
  expect_error("", {"offset 0", "without STOP"});
}

// ---- tensors
// ------------------------------------------------------------------------------------------------
TEST(TorchPickle, RebuildsTensorFromLoadFromBytes) {
  auto tree = parse(
      proto2(rebuild_tensor(load_from_bytes(legacy_float_stream({1, 2, 3, 4, 5, 6})), 1, {2, 2}, {1, 2})));
  TorchTensors tensors(*tree);
  ASSERT_TRUE(TorchTensors::is_tensor(*tree->root()));
  torch::Tensor t = tensors.tensor(*tree->root());
  EXPECT_TRUE(torch::equal(t, torch::tensor({{2.f, 4.f}, {3.f, 5.f}})));
}

TEST(TorchPickle, RebuildsParametersAndSharesStorages) {
  // (_rebuild_parameter(t, False, {}), t2) where both view one memoized storage.
  const std::string storage = load_from_bytes(legacy_float_stream({1, 2, 3, 4})) + "q" + le(9, 1);
  const std::string p = glob("torch._utils", "_rebuild_parameter") + "(" +
                        rebuild_tensor(storage, 0, {2}, {1}) + op(0x89) + "}tR";
  auto tree = parse(proto2(p + rebuild_tensor("h" + le(9, 1), 2, {2}, {1}) + op(0x86)));
  TorchTensors tensors(*tree);
  torch::Tensor a = tensors.tensor(*tree->root()->items[0]);
  torch::Tensor b = tensors.tensor(*tree->root()->items[1]);
  EXPECT_TRUE(torch::equal(a, torch::tensor({1.f, 2.f})));
  EXPECT_TRUE(torch::equal(b, torch::tensor({3.f, 4.f})));
  EXPECT_EQ(a.data_ptr<float>() + 2, b.data_ptr<float>());
}

TEST(TorchPickle, RejectsViewsOutsideTheStorage) {
  const std::string st = load_from_bytes(legacy_float_stream({1, 2, 3, 4}));
  for (const std::string& bad : {rebuild_tensor(st, 0, {3, 2}, {2, 1}), rebuild_tensor(st, 4, {1}, {1}),
                                 rebuild_tensor(st, 0, {2, 2}, {200, 1})}) {
    auto tree = parse(proto2(bad));
    TorchTensors tensors(*tree);
    try {
      tensors.tensor(*tree->root());
      ADD_FAILURE() << "no error";
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("reaches past its storage of 4 elements"), std::string::npos)
          << e.what();
    }
  }
  auto tree = parse(proto2(rebuild_tensor(st, 0, {2}, {1, 1})));
  TorchTensors tensors(*tree);
  EXPECT_THROW(tensors.tensor(*tree->root()), CheckpointError);
}

TEST(TorchPickle, BoundsHostileTensorDescriptions) {
  const std::string st = load_from_bytes(legacy_float_stream({1, 2, 3, 4}));
  // Stride-0 views could claim 255^6 elements of one storage element.
  auto huge = parse(proto2(rebuild_tensor(st, 0, {255, 255, 255, 255, 255, 255}, {0, 0, 0, 0, 0, 0})));
  TorchTensors huge_tensors(*huge);
  EXPECT_THROW(huge_tensors.tensor(*huge->root()), CheckpointError);
  // _rebuild_parameter(_rebuild_parameter(...)) 200 deep must not recurse without bound.
  std::string nested = rebuild_tensor(st, 0, {1}, {1});
  for (int k = 0; k < 200; ++k)
    nested = glob("torch._utils", "_rebuild_parameter") + "(" + nested + op(0x89) + "}tR";
  auto deep = parse(proto2(nested));
  TorchTensors deep_tensors(*deep);
  EXPECT_THROW(deep_tensors.tensor(*deep->root()), CheckpointError);
}

TEST(PickleJson, StopsExponentialExpansionOfSharedValues) {
  // x0 = (); x(k+1) = (xk, xk): 60 levels describe 2^60 leaves in a few hundred bytes.
  std::string body = ")q" + le(0, 1);
  for (int k = 0; k < 60; ++k) body += "0h" + le(k, 1) + "h" + le(k, 1) + op(0x86) + "q" + le(k + 1, 1);
  auto tree = parse(proto2(body));
  EXPECT_THROW(pickle_to_json(*tree, *tree->root()), CheckpointError);
}

TEST(TorchPickle, RejectsBrokenLegacyStreams) {
  std::string stream = legacy_float_stream({1, 2, 3, 4});
  for (size_t cut : {size_t{5}, size_t{40}, stream.size() - 20, stream.size() - 1}) {
    auto tree = parse(proto2(rebuild_tensor(load_from_bytes(stream.substr(0, cut)), 0, {1}, {1})));
    TorchTensors tensors(*tree);
    EXPECT_THROW(tensors.tensor(*tree->root()), CheckpointError) << "cut at " << cut;
  }
  std::string wrong_magic = stream;
  wrong_magic[5] ^= 1;
  auto tree = parse(proto2(rebuild_tensor(load_from_bytes(wrong_magic), 0, {1}, {1})));
  TorchTensors tensors(*tree);
  EXPECT_THROW(tensors.tensor(*tree->root()), CheckpointError);
}

// A zip that stores its entries, as torch.save writes it (CRCs left 0: the reader does not check them).
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, dir;
  for (const auto& [name, data] : entries) {
    const size_t offset = out.size();
    out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) + le(data.size(), 4) +
           le(data.size(), 4) + le(name.size(), 2) + le(0, 2) + name + data;
    dir += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) +
           le(data.size(), 4) + le(data.size(), 4) + le(name.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) +
           le(0, 2) + le(0, 4) + le(offset, 4) + name;
  }
  const size_t dir_offset = out.size();
  return out + dir + le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(entries.size(), 2) + le(entries.size(), 2) +
         le(dir.size(), 4) + le(dir_offset, 4) + le(0, 2);
}

std::string zip_state_dict_pickle(int numel) {
  const std::string pid =
      "(" + bu("storage") + glob("torch", "FloatStorage") + bu("0") + bu("cpu") + k1(numel) + "tQ";
  return proto2(glob("collections", "OrderedDict") + ")R" + bu("layer.weight") +
                rebuild_tensor(pid, 0, {2, 2}, {2, 1}) + "s");
}

TEST(TorchFile, ReadsZipFormat) {
  const float values[] = {1, 2, 3, 4};
  const std::string path = temp_path("zip.pth");
  spit(path, stored_zip({{"archive/data.pkl", zip_state_dict_pickle(4)},
                         {"archive/byteorder", "little"},
                         {"archive/data/0", std::string(reinterpret_cast<const char*>(values), 16)}}));
  TorchFile file = read_torch_file(path);
  StateDict sd = tensor_dict(*file.tensors, *file.root);
  ASSERT_EQ(sd.count("layer.weight"), 1u);
  EXPECT_TRUE(torch::equal(sd["layer.weight"], torch::tensor({{1.f, 2.f}, {3.f, 4.f}})));

  spit(path, stored_zip({{"archive/data.pkl", zip_state_dict_pickle(8)},
                         {"archive/data/0", std::string(reinterpret_cast<const char*>(values), 16)}}));
  TorchFile wrong_size = read_torch_file(path);
  EXPECT_THROW(tensor_dict(*wrong_size.tensors, *wrong_size.root), CheckpointError);
  spit(path, stored_zip({{"archive/data.pkl", zip_state_dict_pickle(4)}}));
  TorchFile missing = read_torch_file(path);
  EXPECT_THROW(tensor_dict(*missing.tensors, *missing.root), CheckpointError);
  fs::remove(path);
}

TEST(TorchFile, ReadsLegacyFormat) {
  const std::string path = temp_path("legacy.pth");
  std::string stream = legacy_float_stream({1, 2, 3, 4});
  // Replace the object pickle (a bare storage) by a dict holding a tensor of that storage.
  const std::string storage_pickle = proto2("(" + bu("storage") + glob("torch", "FloatStorage") + bu("0") +
                                            bu("cpu") + "J" + le(4, 4) + "Nt" + "Q");
  const std::string dict_pickle = proto2("}" + bu("w") +
                                         rebuild_tensor("(" + bu("storage") + glob("torch", "FloatStorage") +
                                                            bu("0") + bu("cpu") + "J" + le(4, 4) + "NtQ",
                                                        0, {4}, {1}) +
                                         "s");
  stream.replace(stream.find(storage_pickle), storage_pickle.size(), dict_pickle);
  spit(path, stream);
  TorchFile file = read_torch_file(path);
  StateDict sd = tensor_dict(*file.tensors, *file.root);
  EXPECT_TRUE(torch::equal(sd.at("w"), torch::tensor({1.f, 2.f, 3.f, 4.f})));
  fs::remove(path);
}

// ---- NVIDIA snapshots
// ---------------------------------------------------------------------------------------
TEST(NvidiaPickle, ReadsTinyGeneratorConfig) {
  NvidiaSnapshot snap = read_nvidia_pkl(kTinyPkl);
  const GeneratorConfig c = generator_config_from_nvidia_kwargs(snap.g_init_kwargs);
  EXPECT_EQ(c.z_dim, 64);
  EXPECT_EQ(c.w_dim, 64);
  EXPECT_EQ(c.c_dim, 0);
  EXPECT_EQ(c.img_resolution, 64);
  EXPECT_EQ(c.img_channels, 3);
  EXPECT_EQ(c.channel_base, 1024);
  EXPECT_EQ(c.channel_max, 64);
  EXPECT_EQ(c.num_fp16_res, 4);
  ASSERT_TRUE(c.conv_clamp.has_value());
  EXPECT_EQ(*c.conv_clamp, 256);
  EXPECT_EQ(c.mapping_layers, 4);
  EXPECT_EQ(c.architecture, "skip");
  EXPECT_EQ(snap.g_class_name, "training.networks_stylegan2.Generator");
  EXPECT_EQ(snap.g_init_kwargs["mapping_kwargs"]["num_layers"], 4);
  EXPECT_EQ(snap.d_init_kwargs["epilogue_kwargs"]["mbstd_group_size"], 4);
}

TEST(NvidiaPickle, ReadsTinyGeneratorTensors) {
  NvidiaSnapshot snap = read_nvidia_pkl(kTinyPkl);
  const StateDict& g = snap.g_ema;
  EXPECT_EQ(g.size(), 98u);
  EXPECT_EQ(snap.discriminator.size(), 46u);
  auto shape = [&](const std::string& name) {
    EXPECT_EQ(g.count(name), 1u) << name;
    return g.count(name) ? g.at(name).sizes().vec() : std::vector<int64_t>{};
  };
  EXPECT_EQ(shape("mapping.w_avg"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shape("mapping.fc0.weight"), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(shape("mapping.fc3.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shape("synthesis.b4.const"), (std::vector<int64_t>{64, 4, 4}));
  EXPECT_EQ(shape("synthesis.b4.conv1.weight"), (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(shape("synthesis.b8.conv0.noise_const"), (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(shape("synthesis.b64.conv0.weight"), (std::vector<int64_t>{16, 32, 3, 3}));
  EXPECT_EQ(shape("synthesis.b64.torgb.weight"), (std::vector<int64_t>{3, 16, 1, 1}));
  EXPECT_EQ(shape("synthesis.b64.conv1.noise_strength"), (std::vector<int64_t>{}));
  EXPECT_EQ(shape("synthesis.b8.resample_filter"), (std::vector<int64_t>{4, 4}));
  for (const auto& [name, t] : g) EXPECT_EQ(t.scalar_type(), torch::kFloat) << name;
  // Values as Python's pickle reads them.
  EXPECT_NEAR(g.at("mapping.w_avg")[0].item<float>(), -0.021967537701129913, 1e-7);
  EXPECT_NEAR(g.at("mapping.fc0.bias")[0].item<float>(), 10.002412796020508, 1e-6);
  EXPECT_NEAR(g.at("synthesis.b4.const").sum().item<double>(), -38.90075593465008, 1e-3);
  double total = 0;
  for (const auto& [name, t] : g) total += t.to(torch::kDouble).sum().item<double>();
  EXPECT_NEAR(total, -11377.083854763247, 1e-2);
}

TEST(NvidiaPickle, GEmaDiffersFromG) {
  auto tree = read_pickle_file(kTinyPkl);
  TorchTensors tensors(*tree);
  auto g = as_module(*tree->root()->get("G"));
  auto g_ema = as_module(*tree->root()->get("G_ema"));
  ASSERT_TRUE(g && g_ema);
  StateDict a = module_state_dict(tensors, *g), b = module_state_dict(tensors, *g_ema);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_FALSE(torch::equal(a.at("mapping.fc0.weight"), b.at("mapping.fc0.weight")));
  EXPECT_TRUE(torch::equal(a.at("synthesis.b8.resample_filter"), b.at("synthesis.b8.resample_filter")));
}

TEST(NvidiaPickle, ReadsNumpyScalarsAndEasyDicts) {
  auto tree = read_pickle_file(kTinyPkl);
  auto g = as_module(*tree->root()->get("G_ema"));
  auto mapping = as_module(*g->dict->get("_modules")->get("mapping"));
  auto fc0 = as_module(*mapping->dict->get("_modules")->get("fc0"));
  auto gain = numpy_scalar(*fc0->dict->get("weight_gain"));
  ASSERT_TRUE(gain.has_value());
  EXPECT_NEAR(std::get<double>(*gain), 0.01 / 8, 1e-15);  // lr_multiplier / sqrt(in_features)
  const nlohmann::json kwargs = pickle_to_json(*tree, *g->dict->get("_init_kwargs"));
  EXPECT_EQ(kwargs["mapping_kwargs"], nlohmann::json({{"num_layers", 4}}));
}

TEST(NvidiaPickle, TruncatedSnapshotIsAnError) {
  const std::string bytes = slurp(kTinyPkl);
  const std::string path = temp_path("cut.pkl");
  for (size_t cut :
       {size_t{1}, size_t{100}, size_t{2000}, size_t{5100}, bytes.size() / 2, bytes.size() - 1}) {
    spit(path, bytes.substr(0, cut));
    try {
      read_nvidia_pkl(path);
      ADD_FAILURE() << "no error at cut " << cut;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": offset"), std::string::npos) << e.what();
    }
  }
  fs::remove(path);
}

TEST(NvidiaPickle, RefusesSnapshotsItCannotBuild) {
  const std::string path = temp_path("odd.pkl");
  spit(path, proto2("}" + bu("G") + "Ns"));
  EXPECT_THROW(read_nvidia_pkl(path), CheckpointError);
  spit(path, proto2("(NNNt"));
  EXPECT_THROW(read_nvidia_pkl(path), CheckpointError);
  // A generator module with no tensors of any known family: loading names the file and says what is missing.
  const std::string meta = "}(" + bu("type") + bu("class") + bu("version") + k1(6) + bu("module_src") +
                           bu("class SynthesisInput(torch.nn.Module): pass") + bu("class_name") +
                           bu("Generator") + bu("state") + "}(" + bu("_parameters") + "}" + bu("_modules") +
                           "}uu";
  spit(path, proto2("}" + bu("G_ema") + glob("torch_utils.persistence", "_reconstruct_persistent_obj") +
                    meta + op(0x85) + "Rs"));
  try {
    load_model(path);
    ADD_FAILURE() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": G_ema: not a generator this build knows"), std::string::npos)
        << e.what();
  }
  fs::remove(path);
}

TEST(NvidiaKwargs, ReadsStyleGan2AdaNestedFormat) {
  const auto kwargs = nlohmann::json::parse(R"({"z_dim": 512, "c_dim": 0, "w_dim": 512, "img_resolution": 256,
      "img_channels": 3, "mapping_kwargs": {"num_layers": 2},
      "synthesis_kwargs": {"channel_base": 16384, "channel_max": 512, "num_fp16_res": 4, "conv_clamp": 256,
                           "architecture": "orig"}})");
  GeneratorConfig c = generator_config_from_nvidia_kwargs(kwargs);
  EXPECT_EQ(c.mapping_layers, 2);
  EXPECT_EQ(c.channel_base, 16384);
  EXPECT_EQ(c.num_fp16_res, 4);
  EXPECT_EQ(c.architecture, "orig");
  EXPECT_DOUBLE_EQ(c.w_avg_beta, 0.995);
  EXPECT_THROW(generator_config_from_nvidia_kwargs(nlohmann::json::parse(R"({"z_dim": 512})")),
               CheckpointError);
  EXPECT_THROW(generator_config_from_nvidia_kwargs(nlohmann::json::parse(
                   R"({"z_dim": 8, "c_dim": 0, "w_dim": 8, "img_resolution": 48, "img_channels": 3})")),
               CheckpointError);
}

}  // namespace pickle_reader_test
}  // namespace draggan
