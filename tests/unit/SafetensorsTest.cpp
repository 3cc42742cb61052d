// safetensors: lossless round trips and a clean CheckpointError (never a crash) for every malformed file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"

namespace draggan {
namespace safetensors_test {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("draggan_st_" + std::to_string(getpid()) + "_" + name)).string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file with an arbitrary header text (length prefix computed unless given) and data bytes.
std::string make_file(const std::string& header, const std::string& data, uint64_t header_len = UINT64_MAX) {
  if (header_len == UINT64_MAX) header_len = header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &header_len, 8);
  return bytes + header + data;
}

// Checks both the mapped reader (file) and the in-memory parser reject `bytes` with every `needles` in the message.
void expect_rejected(const std::string& bytes, const std::vector<std::string>& needles) {
  const std::string path = temp_path("hostile.safetensors");
  spit(path, bytes);
  for (int via_file = 0; via_file < 2; ++via_file) {
    try {
      if (via_file)
        read_safetensors(path);
      else
        parse_safetensors(bytes, path);
      ADD_FAILURE() << "accepted: " << bytes.substr(8, 200);
    } catch (const CheckpointError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
      for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
    }
  }
  fs::remove(path);
}

StateDict sample_tensors() {
  torch::manual_seed(3);
  StateDict t;
  t["a.f32"] = torch::randn({2, 3, 4});
  t["b.f16"] = torch::randn({5}).to(torch::kFloat16);
  t["c.bf16"] = torch::randn({3, 1}).to(torch::kBFloat16);
  t["d.f64"] = torch::randn({7}, torch::kFloat64);
  t["e.i64"] = torch::arange(-5, 6, torch::kInt64).reshape({11, 1});
  t["f.i32"] = torch::tensor({INT32_MIN, 0, INT32_MAX}, torch::kInt32);
  t["g.i16"] = torch::tensor({-32768, 1, 32767}, torch::kInt16);
  t["h.i8"] = torch::tensor({-128, 0, 127}, torch::kInt8);
  t["i.u8"] = torch::tensor({0, 1, 255}, torch::kUInt8);
  t["j.bool"] = torch::tensor({true, false, true});
  t["k.scalar"] = torch::tensor(2.5f);             // 0-dim
  t["l.empty"] = torch::empty({0, 3});             // no bytes
  t["m.empty_i64"] = torch::empty({4, 0}, torch::kInt64);
  t["n.strided"] = torch::arange(12.0f).reshape({3, 4}).t();  // non-contiguous
  return t;
}

TEST(Safetensors, RoundTripsEveryDtypeShapeAndMetadata) {
  const std::string path = temp_path("roundtrip.safetensors");
  const StateDict in = sample_tensors();
  const std::map<std::string, std::string> meta{{"format", "draggan"}, {"generator_config", R"({"z_dim": 64})"},
                                                {"unicode", "\xc3\xa9t\xc3\xa9"}};
  write_safetensors(path, in, meta);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const SafetensorsFile out = read_safetensors(path);
  EXPECT_EQ(out.metadata, meta);
  ASSERT_EQ(out.tensors.size(), in.size());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(out.tensors.count(name)) << name;
    const torch::Tensor& r = out.tensors.at(name);
    EXPECT_EQ(r.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(r.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(r, t)) << name;
  }
  EXPECT_EQ(out.tensors.at("k.scalar").dim(), 0);
  // The in-memory parser sees the same file.
  const SafetensorsFile mem = parse_safetensors(slurp(path), path);
  for (const auto& [name, t] : in) EXPECT_TRUE(torch::equal(mem.tensors.at(name), t)) << name;
  fs::remove(path);
}

TEST(Safetensors, WritesAlignedHeaderAndContiguousNameOrderedData) {
  const std::string path = temp_path("layout.safetensors");
  StateDict in{{"zeta", torch::ones({3}, torch::kUInt8)}, {"alpha", torch::zeros({2}, torch::kFloat32)},
               {"mid", torch::empty({0})}};
  write_safetensors(path, in, {{"k", "v"}});
  const std::string bytes = slurp(path);
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 8 + 3);
  const std::string header = bytes.substr(8, n);
  const auto json = nlohmann::json::parse(header);  // trailing spaces are valid JSON whitespace
  EXPECT_EQ(header.find_last_not_of(' ') + 1, nlohmann::json::parse(header).dump().size());
  EXPECT_EQ(json["alpha"]["dtype"], "F32");
  EXPECT_EQ(json["alpha"]["data_offsets"], nlohmann::json({0, 8}));
  EXPECT_EQ(json["mid"]["data_offsets"], nlohmann::json({8, 8}));
  EXPECT_EQ(json["zeta"]["data_offsets"], nlohmann::json({8, 11}));
  EXPECT_EQ(json["zeta"]["shape"], nlohmann::json({3}));
  EXPECT_EQ(json["__metadata__"]["k"], "v");
  EXPECT_EQ(bytes.substr(8 + n + 8), std::string(3, '\x01'));
  fs::remove(path);
}

TEST(Safetensors, ReadsFilesLaidOutByOtherWriters) {
  // Key order, whitespace and unaligned data as another writer might produce; the data is [1.0f, -2.0f] and
  // a U8 byte placed first, so the F32 tensor starts at an odd offset.
  const std::string header =
      R"({"__metadata__":{"format":"pt"}, "w":{"data_offsets":[1,9],"shape":[2],"dtype":"F32"},)"
      R"( "b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  std::string data(1, '\x07');
  const float values[2] = {1.0f, -2.0f};
  data.append(reinterpret_cast<const char*>(values), 8);
  const std::string path = temp_path("foreign.safetensors");
  spit(path, make_file(header, data));
  const SafetensorsFile f = read_safetensors(path);
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_TRUE(torch::equal(f.tensors.at("w"), torch::tensor({1.0f, -2.0f})));
  EXPECT_EQ(f.tensors.at("b").item<uint8_t>(), 7);
  fs::remove(path);
}

TEST(Safetensors, MappedTensorsOutliveTheFileAndNeverWriteToIt) {
  const std::string path = temp_path("cow.safetensors");
  write_safetensors(path, {{"w", torch::arange(1024.0f)}}, {});
  const std::string before = slurp(path);
  torch::Tensor w = read_safetensors(path).tensors.at("w");
  w.mul_(2);  // copy-on-write page: allowed, private
  EXPECT_EQ(slurp(path), before);
  fs::remove(path);
  EXPECT_FLOAT_EQ(w[1023].item<float>(), 2046.0f);
}

TEST(Safetensors, NormalisesBoolBytesOtherThanZeroAndOne) {
  const std::string bytes = make_file(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})",
                                      std::string("\x00\x02\xff", 3));
  const torch::Tensor m = parse_safetensors(bytes, "bools").tensors.at("m");
  EXPECT_TRUE(torch::equal(m, torch::tensor({false, true, true})));
}

TEST(Safetensors, RejectsTruncatedAndAbsurdHeaderLengths) {
  expect_rejected(std::string("abc"), {"too short"});
  expect_rejected(make_file("{}", "", 1000), {"header length 1000 exceeds the file size"});
  expect_rejected(make_file("{}", "", UINT64_MAX - 3), {"exceeds the file size"});
  expect_rejected(make_file("", ""), {"not a JSON object"});
}

TEST(Safetensors, RejectsHeadersThatAreNotJsonObjects) {
  expect_rejected(make_file("{\"a\": tru", ""), {"not valid JSON"});
  expect_rejected(make_file("[1, 2, 3]", ""), {"not a JSON object"});
  expect_rejected(make_file("{\"a\": 1} trailing", ""), {"not valid JSON"});
  expect_rejected(make_file(std::string(1, '{') + "\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}", ""),
                  {"nests deeper"});
  expect_rejected(make_file(R"({"__metadata__": {"k": 3}})", ""), {"'__metadata__' entry 'k' is not a string"});
  expect_rejected(make_file(R"({"__metadata__": [1]})", ""), {"'__metadata__' is not an object"});
  expect_rejected(make_file(R"({"w": 5})", ""), {"tensor 'w'", "not an object"});
}

TEST(Safetensors, RejectsUnknownDtypesAndBadShapes) {
  const std::string data(16, '\0');
  expect_rejected(make_file(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", data),
                  {"tensor 'w'", "unsupported dtype 'F8_E4M3'"});
  expect_rejected(make_file(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", data), {"tensor 'w'", "'dtype'"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data),
                  {"tensor 'w'", "'shape' entry -2"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", data),
                  {"tensor 'w'", "'shape' entry 2.5"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", data),
                  {"tensor 'w'", "'shape'"});
  // 2^62 * 2^62 * 4 wraps to 0 in 64 bits; it must not be mistaken for an empty tensor.
  expect_rejected(
      make_file(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})",
                data),
      {"tensor 'w'", "more than 2^64"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,0]}})", data),
                  {"tensor 'w'", "too large"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data),
                  {"tensor 'w'", "span 8 bytes", "need 12"});
}

TEST(Safetensors, RejectsBadDataOffsets) {
  const std::string data(16, '\0');
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,24]}})", data),
                  {"tensor 'w'", "[8, 24]", "run past the data section (16 bytes)"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[12,4]}})", data),
                  {"tensor 'w'", "reversed"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", data),
                  {"tensor 'w'", "'data_offsets'"});
  expect_rejected(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", data),
                  {"tensor 'w'", "'data_offsets'"});
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"( "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            data),
                  {"overlap", "'a'", "'b'"});
}

TEST(Safetensors, SurvivesRandomCorruptionWithoutCrashing) {
  const std::string path = temp_path("fuzz.safetensors");
  write_safetensors(path, sample_tensors(), {{"format", "draggan"}});
  const std::string good = slurp(path);
  fs::remove(path);
  uint64_t header_len;
  std::memcpy(&header_len, good.data(), 8);
  std::mt19937 rng(1234);
  int rejected = 0, accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      // Mostly the header (that is where parsing happens), sometimes the length prefix.
      const size_t at = rng() % 8 == 0 ? rng() % 8 : 8 + rng() % header_len;
      bytes[at] = static_cast<char>(rng() % 5 == 0 ? "0123456789[]{},:\"-"[rng() % 18] : rng() & 0xff);
    }
    if (rng() % 10 == 0) bytes.resize(rng() % bytes.size());
    try {
      const SafetensorsFile f = parse_safetensors(bytes, "fuzz");
      for (const auto& [name, t] : f.tensors) (void)t.sum();
      ++accepted;
    } catch (const CheckpointError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_EQ(accepted + rejected, 3000);
}

TEST(Safetensors, WriterRejectsUnsupportedTensors) {
  const std::string path = temp_path("bad_write.safetensors");
  EXPECT_THROW(write_safetensors(path, {{"c", torch::zeros({2}, torch::kComplexFloat)}}, {}), CheckpointError);
  EXPECT_THROW(write_safetensors(path, {{"__metadata__", torch::zeros({2})}}, {}), CheckpointError);
  EXPECT_THROW(write_safetensors(path, {{"u", torch::Tensor()}}, {}), CheckpointError);
  EXPECT_THROW(write_safetensors("/nonexistent-dir/x.safetensors", {{"a", torch::zeros({1})}}, {}), CheckpointError);
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace safetensors_test
}  // namespace draggan
