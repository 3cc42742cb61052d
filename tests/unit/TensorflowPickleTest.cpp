// TensorFlow network pickles: written from random StyleGAN2 modules in the TensorFlow layout
// (support/TensorflowPickleWriter.h), read back through load_model; and hostile files (the official fixture
// cut short, missing or misshapen variables, unknown kwargs, cycles) that must give one clear line, never a
// crash.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "draggan/core/Error.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/PickleNumpy.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/TensorflowStyleGAN2.h"
#include "support/TensorflowPickleWriter.h"

namespace draggan {
namespace tensorflow_pickle_test {

using test::TfNetwork;
using test::TfVariable;

const std::string kOfficial =
    std::string(DRAGGAN_TEST_DATA) + "/formats/tf_stylegan2/stylegan2-tiny64-tf-config-f.pkl";

std::filesystem::path temp_dir() {
  return std::filesystem::temp_directory_path() / ("draggan_tf_unit_" + std::to_string(::getpid()));
}

std::string temp_path(const std::string& name) {
  std::filesystem::create_directories(temp_dir());
  return (temp_dir() / name).string();
}

// The files the tests write go away with the test program.
struct RemoveTempDir : ::testing::Environment {
  void TearDown() override { std::filesystem::remove_all(temp_dir()); }
};
[[maybe_unused]] const auto* const kRemoveTempDir = ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message load_model fails with; a failure of the test when it succeeds or throws anything else.
std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const CheckpointError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a CheckpointError: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << " loaded";
  return "";
}

// A 16-px StyleGAN2 with 8..32 channels: (G, D, Gs) in TensorFlow form, from our random modules.
struct TinyTensorflowModel {
  explicit TinyTensorflowModel(const std::string& architecture = "skip", int label_size = 0) {
    g_kwargs = {{"num_channels", 3},  {"resolution", 16},    {"label_size", label_size},
                {"fmap_base", 64},    {"fmap_max", 32},      {"latent_size", 16},
                {"dlatent_size", 16}, {"mapping_layers", 2}, {"mapping_fmaps", 16}};
    if (architecture != "skip") g_kwargs["architecture"] = architecture;
    d_kwargs = {{"num_channels", 3},
                {"resolution", 16},
                {"label_size", label_size},
                {"fmap_base", 64},
                {"fmap_max", 32}};
    GeneratorConfig c;
    c.z_dim = c.w_dim = 16;
    c.c_dim = label_size;
    c.img_resolution = 16;
    c.mapping_layers = 2;
    c.layer_features = 16;
    c.channel_base = 128;
    c.channel_max = 32;
    c.num_fp16_res = 0;
    c.w_avg_beta = 0.995;
    c.architecture = architecture;
    torch::manual_seed(7);
    generator = Generator(c);
    test::perturb(*generator, 11);
    DiscriminatorConfig dc;
    dc.img_resolution = 16;
    dc.channel_base = 128;
    dc.channel_max = 32;
    dc.num_fp16_res = 0;
    dc.conv_clamp.reset();
    dc.mbstd_group_size.reset();
    discriminator = Discriminator(dc);
    test::perturb(*discriminator, 12);
    gs = test::tf_generator_network(generator, g_kwargs, "Gs");
    g = gs;
    g.name = "G";
    d = test::tf_discriminator_network(discriminator, d_kwargs);
  }
  std::string write(const std::string& name) const {
    const std::string path = temp_path(name);
    write_file(path, test::tf_pickle_bytes({&g, &d, &gs}));
    return path;
  }

  nlohmann::json g_kwargs, d_kwargs;
  Generator generator{nullptr};
  Discriminator discriminator{nullptr};
  TfNetwork g, d, gs;
};

void expect_same_tensors(const StateDict& got, const StateDict& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, t] : expected) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(torch::equal(got.at(name), t)) << name;
  }
}

class TensorflowRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(TensorflowRoundTrip, GivesBackEveryTensorOfGsAndD) {
  TinyTensorflowModel m(GetParam());
  const TensorflowSnapshot snap = read_tensorflow_pkl(m.write("roundtrip_" + GetParam() + ".pkl"));
  EXPECT_EQ(snap.generator_config.architecture, GetParam());
  EXPECT_EQ(snap.generator_config.channel_base, 128);
  EXPECT_EQ(snap.generator_config.layer_features, 16);
  expect_same_tensors(snap.g_ema, state_dict_of(*m.generator));
  expect_same_tensors(snap.discriminator, state_dict_of(*m.discriminator));
  EXPECT_TRUE(snap.discriminator_config["mbstd_group_size"].is_null());
}

INSTANTIATE_TEST_SUITE_P(Architectures, TensorflowRoundTrip, ::testing::Values("skip", "resnet", "orig"));

TEST(TensorflowPickle, IsRecognisedByContentWhateverTheFileIsCalled) {
  TinyTensorflowModel m;
  const std::string path = temp_path("looks_like.safetensors");
  write_file(path, test::tf_pickle_bytes({&m.g, &m.d, &m.gs}));
  LoadedModel model = load_model(path);
  EXPECT_EQ(model.format, "tensorflow-pkl");
  torch::NoGradGuard no_grad;
  const torch::Tensor z = torch::randn({2, 16});
  EXPECT_TRUE(torch::equal(model.generator->synthesize(model.generator->map(z, {}, 0.7)),
                           m.generator->forward(z, {}, 0.7)));
  EXPECT_FALSE(model.discriminator.empty());
}

TEST(TensorflowPickle, LoneNetworkIsTheGeneratorWithoutDiscriminator) {
  TinyTensorflowModel m;
  const std::string path = temp_path("gs_only.pkl");
  write_file(path, test::tf_pickle_bytes({&m.gs}));
  LoadedModel model = load_model(path);
  EXPECT_EQ(model.format, "tensorflow-pkl");
  EXPECT_TRUE(model.discriminator.empty());
  expect_same_tensors(state_dict_of(model.generator->module()), state_dict_of(*m.generator));
}

TEST(TensorflowPickle, LabelsEnterThroughLabelEmbedAndAConditionalDIsLeftOut) {
  TinyTensorflowModel m("skip", 2);
  const TensorflowSnapshot snap = read_tensorflow_pkl(m.write("conditional.pkl"));
  EXPECT_EQ(snap.generator_config.c_dim, 2);
  expect_same_tensors(snap.g_ema, state_dict_of(*m.generator));
  EXPECT_TRUE(snap.discriminator.empty());
  EXPECT_TRUE(snap.discriminator_config.is_null());
}

TEST(TensorflowPickle, ProgressiveFromRgbNamesMeanTheOrigDiscriminator) {
  TinyTensorflowModel m;
  DiscriminatorConfig dc = m.discriminator->config();
  dc.architecture = "orig";
  Discriminator orig(dc);
  test::perturb(*orig, 13);
  m.d = test::tf_discriminator_network(orig, m.d_kwargs);
  for (TfVariable& v : m.d.variables)  // the full resolution is lod 0
    if (v.name.rfind("16x16/FromRGB/", 0) == 0) v.name = "FromRGB_lod0/" + v.name.substr(14);
  const TensorflowSnapshot snap = read_tensorflow_pkl(m.write("progressive_d.pkl"));
  EXPECT_EQ(snap.discriminator_config["architecture"], "orig");
  expect_same_tensors(snap.discriminator, state_dict_of(*orig));
}

// ---- numpy arrays as numpy pickles them

TEST(NumpyArrays, FortranOrderBigEndianAndZeroDimArraysReadAsNumpyDoes) {
  auto array_pickle = [](const std::vector<int64_t>& shape, bool fortran, const std::string& order,
                         const std::string& data) {
    test::PickleWriter w;
    w.global("numpy.core.multiarray", "_reconstruct");
    w.mark();
    w.global("numpy", "ndarray");
    w.mark();
    w.integer(0);
    w.tuple();
    w.bytes("b", 1);
    w.tuple();
    w.reduce();
    w.mark();
    w.integer(1);
    w.mark();
    for (int64_t d : shape) w.integer(d);
    w.tuple();
    w.dtype("i2", order);
    w.boolean(fortran);
    w.bytes(data.data(), data.size());
    w.tuple();
    w.build();
    return w.finish();
  };
  // int16 1..6 as a 2x3 array: C order little-endian, Fortran order (columns first), big-endian.
  const std::string c_le("\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06\x00", 12);
  const std::string f_le("\x01\x00\x04\x00\x02\x00\x05\x00\x03\x00\x06\x00", 12);
  const std::string c_be("\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06", 12);
  const torch::Tensor expected = torch::arange(1, 7, torch::kShort).reshape({2, 3});
  for (const auto& [bytes, fortran, order] :
       {std::tuple{c_le, false, "<"}, std::tuple{f_le, true, "<"}, std::tuple{c_be, false, ">"}}) {
    auto tree = parse_pickle(array_pickle({2, 3}, fortran, order, bytes), "array.pkl");
    const NumpyArray a = numpy_array(*tree, *tree->root());
    EXPECT_TRUE(torch::equal(a.tensor(), expected)) << "fortran " << fortran << " order " << order;
  }
  auto scalar = parse_pickle(array_pickle({}, false, "<", std::string("\x2a\x00", 2)), "scalar.pkl");
  const torch::Tensor t = numpy_array(*scalar, *scalar->root()).tensor();
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.item<int>(), 42);
  // Too few bytes for the shape, and a shape whose product overflows: refused, naming the byte counts.
  auto short_data = parse_pickle(array_pickle({2, 3}, false, "<", c_le.substr(0, 10)), "short.pkl");
  EXPECT_THROW(numpy_array(*short_data, *short_data->root()), CheckpointError);
  auto huge =
      parse_pickle(array_pickle({int64_t{1} << 40, int64_t{1} << 40, 16}, false, "<", c_le), "huge.pkl");
  try {
    numpy_array(*huge, *huge->root());
    ADD_FAILURE() << "accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("needs more than 12 bytes"), std::string::npos) << e.what();
  }
}

// ---- hostile files

void expect_one_line_naming(const std::string& message, const std::string& path,
                            const std::vector<std::string>& parts) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind(path, 0), 0u) << message;
  EXPECT_NE(message.find("offset "), std::string::npos) << message;
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(TensorflowHostile, TheOfficialFileCutShortAnywhereGivesOneLineWithTheOffset) {
  const std::string whole = read_file(kOfficial);
  ASSERT_GT(whole.size(), 1000000u);
  std::vector<size_t> cuts;
  for (size_t n = 1; n < 400; n += 7) cuts.push_back(n);  // inside the first network's header
  for (size_t n = 400; n < whole.size(); n += whole.size() / 97) cuts.push_back(n);  // everywhere else
  cuts.push_back(whole.size() - 1);                                                  // just the STOP missing
  const std::string path = temp_path("cut.pkl");
  for (size_t n : cuts) {
    write_file(path, whole.substr(0, n));
    const std::string message = load_error(path);
    EXPECT_EQ(message.rfind(path, 0), 0u) << "cut at " << n << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "cut at " << n << ": " << message;
  }
}

TEST(TensorflowHostile, AMissingVariableIsNamedWithTheTensorItFeeds) {
  TinyTensorflowModel m;
  ASSERT_TRUE(m.gs.erase("synthesis/16x16/Conv0_up/weight"));
  const std::string path = m.write("missing.pkl");
  expect_one_line_naming(
      load_error(path), path,
      {"Gs", "'synthesis/16x16/Conv0_up/weight'", "synthesis.b16.conv0.weight", "G_synthesis_stylegan2"});
}

TEST(TensorflowHostile, AWrongShapeIsNamedWithBothShapes) {
  TinyTensorflowModel m;
  m.gs.find("mapping/Dense1/weight")->value = torch::zeros({16, 17});
  const std::string path = m.write("shape.pkl");
  expect_one_line_naming(load_error(path), path,
                         {"Gs: variable 'mapping/Dense1/weight'", "[16, 17]", "[16, 16]"});

  TinyTensorflowModel d;  // a discriminator variable
  d.d.find("4x4/Dense0/weight")->value = torch::zeros({3});
  const std::string dpath = d.write("d_shape.pkl");
  expect_one_line_naming(load_error(dpath), dpath, {"D: variable '4x4/Dense0/weight'", "[3]"});
}

TEST(TensorflowHostile, AStringWhereAnArrayBelongsIsNamed) {
  TinyTensorflowModel m;
  m.gs.find("synthesis/noise3")->as_string = "not an array";
  const std::string path = m.write("string.pkl");
  expect_one_line_naming(load_error(path), path, {"Gs: variable 'synthesis/noise3'", "str 'not an array'"});
}

TEST(TensorflowHostile, AnAbsurdArraySizeIsRefusedWithoutAllocatingIt) {
  TinyTensorflowModel m;
  m.gs.find("synthesis/8x8/Conv1/weight")->shape_claim =
      std::vector<int64_t>{1 << 30, 1 << 30, 1 << 30, 1 << 30};
  const std::string path = m.write("absurd.pkl");
  expect_one_line_naming(load_error(path), path,
                         {"Gs: variable 'synthesis/8x8/Conv1/weight'", "needs more than"});
}

TEST(TensorflowHostile, UnknownStaticKwargsAreAllNamed) {
  TinyTensorflowModel m;
  m.gs.static_kwargs["dlatent_avg_beta"] = 0.995;
  m.gs.static_kwargs["fmap_decay"] = 1;
  const std::string path = m.write("kwargs.pkl");
  expect_one_line_naming(load_error(path), path, {"Gs: static_kwargs", "'dlatent_avg_beta'", "'fmap_decay'"});

  TinyTensorflowModel d;
  d.d.static_kwargs["use_pagan"] = true;
  const std::string dpath = d.write("d_kwargs.pkl");
  expect_one_line_naming(load_error(dpath), dpath, {"D: static_kwargs", "'use_pagan'"});
}

TEST(TensorflowHostile, UnusableKwargValuesAreNamed) {
  TinyTensorflowModel relu;
  relu.gs.static_kwargs["nonlinearity"] = "relu";
  const std::string p1 = relu.write("relu.pkl");
  expect_one_line_naming(load_error(p1), p1, {"'nonlinearity'", "lrelu"});

  TinyTensorflowModel base;
  base.gs.static_kwargs["fmap_base"] = "big";
  const std::string p2 = base.write("fmap.pkl");
  expect_one_line_naming(load_error(p2), p2, {"'fmap_base'"});

  TinyTensorflowModel none;
  none.gs.static_kwargs["resolution"] = nullptr;
  const std::string p3 = none.write("none.pkl");
  expect_one_line_naming(load_error(p3), p3, {"'resolution' is None"});

  TinyTensorflowModel odd;
  odd.gs.static_kwargs["resolution"] = 24;
  const std::string p4 = odd.write("odd.pkl");
  expect_one_line_naming(load_error(p4), p4, {"Gs", "power of two"});
}

TEST(TensorflowHostile, OldStateVersionsAreRefused) {
  TinyTensorflowModel m;
  m.gs.version = 3;
  const std::string path = m.write("old.pkl");
  expect_one_line_naming(load_error(path), path, {"Gs", "version 3"});
}

TEST(TensorflowHostile, TheTupleMustBeGDGsOfNetworks) {
  TinyTensorflowModel m;
  const std::string two = temp_path("two.pkl");
  write_file(two, test::tf_pickle_bytes({&m.g, &m.gs}));
  expect_one_line_naming(load_error(two), two, {"(G, D, Gs)", "tuple of 2"});

  test::PickleWriter w;  // (G, {}, Gs)
  w.mark();
  w.network(m.g);
  w.empty_dict();
  w.network(m.gs);
  w.tuple();
  const std::string dict_d = temp_path("dict_d.pkl");
  write_file(dict_d, w.finish());
  expect_one_line_naming(load_error(dict_d), dict_d, {"D is dict", "dnnlib.tflib.network.Network"});
}

TEST(TensorflowHostile, AComponentThatContainsItsParentIsRefused) {
  // Gs whose components dict holds Gs itself (memo 0): a cycle only a memo can make.
  test::PickleWriter w;
  w.global("dnnlib.tflib.network", "Network");
  w.newobj_no_args();
  w.memo_put(0);
  w.empty_dict();
  w.mark();
  w.str("version");
  w.integer(4);
  w.str("name");
  w.str("Gs");
  w.str("static_kwargs");
  w.empty_dict();
  w.str("build_func_name");
  w.str("G_main");
  w.str("variables");
  w.empty_list();
  w.str("components");
  w.empty_dict();
  w.mark();
  w.str("synthesis");
  w.memo_get(0);
  w.setitems();
  w.setitems();
  w.build();
  const std::string path = temp_path("cycle.pkl");
  write_file(path, w.finish());
  expect_one_line_naming(load_error(path), path, {"contains itself"});
}

TEST(TensorflowHostile, StateFieldsOfTheWrongTypeAreNamed) {
  TinyTensorflowModel m;
  test::PickleWriter w;  // Gs whose variables are a dict
  w.global("dnnlib.tflib.network", "Network");
  w.newobj_no_args();
  w.json({{"version", 4},
          {"name", "Gs"},
          {"static_kwargs", m.g_kwargs},
          {"build_func_name", "G_main"},
          {"variables", {{"lod", 0}}},
          {"components", nlohmann::json::object()}});
  w.build();
  const std::string path = temp_path("fields.pkl");
  write_file(path, w.finish());
  expect_one_line_naming(load_error(path), path, {"Gs: 'variables' is dict", "expected a list"});
}

}  // namespace tensorflow_pickle_test
}  // namespace draggan
