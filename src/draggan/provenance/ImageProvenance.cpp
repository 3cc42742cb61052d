#include "draggan/provenance/ImageProvenance.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "draggan/core/Error.h"
#include "draggan/core/Version.h"

namespace draggan {
namespace {

constexpr const char* kIptcCodes = "http://cv.iptc.org/newscodes/digitalsourcetype/";

std::string default_description(ImageOrigin origin) {
  switch (origin) {
    case ImageOrigin::Generated: return "AI generated: made by a StyleGAN generator with draggan";
    case ImageOrigin::EditedPhoto:
      return "AI edited: a photo reproduced by a StyleGAN generator (projection and tuning) and edited with draggan";
    case ImageOrigin::Other: return "Written by draggan";
  }
  return "";
}

// Shortest text that reads back as the same double (psi 0.7 stays "0.7").
std::string shortest_number_text(double v) {
  for (int digits = 6; digits <= 17; ++digits) {
    char text[40];
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v) return text;
  }
  return std::to_string(v);
}

const char* origin_name(ImageOrigin origin) {
  switch (origin) {
    case ImageOrigin::Generated: return "generated";
    case ImageOrigin::EditedPhoto: return "edited photo";
    case ImageOrigin::Other: return "other";
  }
  return "other";
}

nlohmann::json drags_json(const std::vector<DragEdit>& drags) {
  nlohmann::json list = nlohmann::json::array();
  for (const DragEdit& d : drags) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& q : d.points) {
      nlohmann::json point = nlohmann::json::array();
      for (double v : q) point.push_back(std::floor(v) == v && std::abs(v) < 1e15 ? nlohmann::json(int64_t(v)) : nlohmann::json(v));
      points.push_back(point);  // whole pixels read as [16, 12, ...], not [16.0, 12.0, ...]
    }
    list.push_back({{"points", points}, {"steps", d.steps}, {"mask", d.masked}});
  }
  return list;
}

// Throws nlohmann's exceptions on a wrong shape; callers turn them into InputError.
std::vector<DragEdit> drags_from(const nlohmann::json& list) {
  std::vector<DragEdit> drags;
  for (const auto& d : list) {
    DragEdit edit;
    for (const auto& q : d.at("points")) {
      if (q.size() != 4) throw std::invalid_argument("a point is [hx, hy, tx, ty]");
      edit.points.push_back({q.at(0).get<double>(), q.at(1).get<double>(), q.at(2).get<double>(), q.at(3).get<double>()});
    }
    edit.steps = d.at("steps").get<int>();
    edit.masked = d.at("mask").get<bool>();
    drags.push_back(std::move(edit));
  }
  return drags;
}

}  // namespace

ImageProvenance ImageProvenance::for_model(const std::string& model_path, const std::string& model_sha256) {
  ImageProvenance p;
  p.model = std::filesystem::path(model_path).filename().string();
  p.model_sha256 = model_sha256;
  return p;
}

std::string digital_source_type(ImageOrigin origin) {
  switch (origin) {
    case ImageOrigin::Generated: return std::string(kIptcCodes) + "trainedAlgorithmicMedia";
    case ImageOrigin::EditedPhoto: return std::string(kIptcCodes) + "compositeWithTrainedAlgorithmicMedia";
    case ImageOrigin::Other: return "";
  }
  return "";
}

std::string xmp_packet(const ImageProvenance& provenance) {
  // Only fixed vocabulary goes into the XML (no file names): nothing here needs escaping.
  const std::string source = digital_source_type(provenance.origin);
  std::string xmp =
      "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
      " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
      "  <rdf:Description rdf:about=\"\"\n"
      "    xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"\n"
      "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n";
  if (!source.empty()) xmp += "    Iptc4xmpExt:DigitalSourceType=\"" + source + "\"\n";
  xmp += std::string("    xmp:CreatorTool=\"") + kSoftwareName + "\"/>\n";
  xmp +=
      " </rdf:RDF>\n"
      "</x:xmpmeta>\n"
      "<?xpacket end=\"r\"?>";
  return xmp;
}

std::vector<std::pair<std::string, std::string>> provenance_text_fields(const ImageProvenance& p) {
  std::vector<std::pair<std::string, std::string>> fields;
  fields.emplace_back("Software", kSoftwareName);
  fields.emplace_back("Description", p.description.empty() ? default_description(p.origin) : p.description);
  if (!p.model.empty()) fields.emplace_back("draggan model", p.model);
  if (!p.model_sha256.empty()) fields.emplace_back("draggan model sha256", p.model_sha256);
  if (p.seed) fields.emplace_back("draggan seed", std::to_string(*p.seed));
  if (p.psi) fields.emplace_back("draggan psi", shortest_number_text(*p.psi));
  if (!p.latent_sha256.empty()) fields.emplace_back("draggan latent sha256", p.latent_sha256);
  if (!p.photo_sha256.empty()) fields.emplace_back("draggan photo sha256", p.photo_sha256);
  if (!p.drags.empty()) fields.emplace_back("draggan drags", drags_json(p.drags).dump());
  return fields;
}

ImageProvenance provenance_from_text_fields(const std::vector<std::pair<std::string, std::string>>& fields,
                                            const std::string& xmp) {
  ImageProvenance p;
  const std::string source = digital_source_type_in_xmp(xmp);
  p.origin = source == digital_source_type(ImageOrigin::Generated)     ? ImageOrigin::Generated
             : source == digital_source_type(ImageOrigin::EditedPhoto) ? ImageOrigin::EditedPhoto
                                                                         : ImageOrigin::Other;
  const auto bad = [](const std::string& key, const std::string& value) {
    return InputError("provenance field \"" + key + "\": cannot read \"" + value.substr(0, 80) + "\"");
  };
  for (const auto& [key, value] : fields) {
    try {
      if (key == "Description") {
        if (value != default_description(p.origin)) p.description = value;
      } else if (key == "draggan model") {
        p.model = value;
      } else if (key == "draggan model sha256") {
        p.model_sha256 = value;
      } else if (key == "draggan seed") {
        size_t used = 0;
        const unsigned long long seed = std::stoull(value, &used);
        if (used != value.size() || seed > 0xffffffffULL) throw bad(key, value);
        p.seed = static_cast<uint32_t>(seed);
      } else if (key == "draggan psi") {
        size_t used = 0;
        p.psi = std::stod(value, &used);
        if (used != value.size()) throw bad(key, value);
      } else if (key == "draggan latent sha256") {
        p.latent_sha256 = value;
      } else if (key == "draggan photo sha256") {
        p.photo_sha256 = value;
      } else if (key == "draggan drags") {
        p.drags = drags_from(nlohmann::json::parse(value));
      }
    } catch (const InputError&) {
      throw;
    } catch (const std::exception&) {  // stoull/stod/JSON errors
      throw bad(key, value);
    }
  }
  return p;
}

nlohmann::json provenance_to_json(const ImageProvenance& p) {
  nlohmann::json j = {{"origin", origin_name(p.origin)}};
  if (!p.model.empty()) j["model"] = p.model;
  if (!p.model_sha256.empty()) j["model_sha256"] = p.model_sha256;
  if (p.seed) j["seed"] = *p.seed;
  if (p.psi) j["psi"] = *p.psi;
  if (!p.latent_sha256.empty()) j["latent_sha256"] = p.latent_sha256;
  if (!p.photo_sha256.empty()) j["photo_sha256"] = p.photo_sha256;
  if (!p.drags.empty()) j["drags"] = drags_json(p.drags);
  if (!p.description.empty()) j["description"] = p.description;
  return j;
}

ImageProvenance provenance_from_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw InputError(origin + ": expected an object");
  ImageProvenance p;
  std::string key;
  try {
    for (const auto& [name, value] : j.items()) {
      key = name;
      if (name == "origin") {
        const std::string o = value.get<std::string>();
        if (o == "generated") p.origin = ImageOrigin::Generated;
        else if (o == "edited photo") p.origin = ImageOrigin::EditedPhoto;
        else if (o == "other") p.origin = ImageOrigin::Other;
        else throw std::invalid_argument("unknown origin");
      } else if (name == "model") p.model = value.get<std::string>();
      else if (name == "model_sha256") p.model_sha256 = value.get<std::string>();
      else if (name == "seed") {
        if (!value.is_number_unsigned() || value.get<uint64_t>() > 0xffffffffULL)
          throw std::invalid_argument("expected an integer in 0..2^32-1");
        p.seed = value.get<uint32_t>();
      }
      else if (name == "psi") p.psi = value.get<double>();
      else if (name == "latent_sha256") p.latent_sha256 = value.get<std::string>();
      else if (name == "photo_sha256") p.photo_sha256 = value.get<std::string>();
      else if (name == "drags") p.drags = drags_from(value);
      else if (name == "description") p.description = value.get<std::string>();
      else throw std::invalid_argument("unknown field");
    }
  } catch (const std::exception& e) {
    throw InputError(origin + "." + key + ": " + e.what());
  }
  return p;
}

std::string digital_source_type_in_xmp(const std::string& xmp) {
  const std::string name = "DigitalSourceType";
  for (size_t at = xmp.find(name); at != std::string::npos; at = xmp.find(name, at + 1)) {
    // Attribute form: DigitalSourceType="URL"; element form: <...DigitalSourceType>URL</...> or rdf:resource.
    const size_t start = xmp.find("http", at);
    if (start == std::string::npos) return "";
    const size_t end = xmp.find_first_of("\"'<", start);
    if (end == std::string::npos) return "";
    const std::string between = xmp.substr(at + name.size(), start - at - name.size());
    if (between.find_first_not_of("=\"'> \t\r\n") != std::string::npos &&
        between.find("rdf:resource") == std::string::npos)
      continue;
    return xmp.substr(start, end - start);
  }
  return "";
}

}  // namespace draggan
