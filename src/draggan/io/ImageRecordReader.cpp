#include "draggan/io/ImageRecordReader.h"

#include <gif_lib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "draggan/core/Error.h"
#include "draggan/provenance/ImageProvenance.h"

namespace draggan {
namespace {

struct PngReadState {
  char error[200];
};

void on_png_read_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngReadState*>(png_get_error_ptr(png));
  std::snprintf(state->error, sizeof state->error, "%s", message ? message : "libpng error");
  png_longjmp(png, 1);
}
void on_png_read_warning(png_structp, png_const_charp) {}

std::string file_signature(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  char bytes[8] = {0};
  in.read(bytes, sizeof bytes);
  return std::string(bytes, static_cast<size_t>(in.gcount()));
}

struct MemoryInput {
  const std::string* bytes;
  size_t pos;
};

void on_png_read(png_structp png, png_bytep data, png_size_t length) {
  auto* in = static_cast<MemoryInput*>(png_get_io_ptr(png));
  if (length > in->bytes->size() - in->pos) png_error(png, "file ends early");
  std::memcpy(data, in->bytes->data() + in->pos, length);
  in->pos += length;
}

}  // namespace

// libpng reads the chunks up to the first IDAT; text values are copied out once it is done. No C++ object is
// created between setjmp and the last libpng call, so a longjmp on a damaged file skips no destructor.
ImageRecord read_png_record(const std::string& bytes, const std::string& origin) {
  ImageRecord record;
  record.format = "PNG";
  PngReadState state{{0}};
  MemoryInput input{&bytes, 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, on_png_read_error, on_png_read_warning);
  if (!png) throw std::bad_alloc();
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw std::bad_alloc();
  }
  png_textp text = nullptr;
  int text_count = 0;
  png_unknown_chunkp unknown = nullptr;
  int unknown_count = 0;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw InputError(origin + ": not a readable PNG (" + state.error + ")");
  }
  png_set_read_fn(png, &input, on_png_read);
  png_set_chunk_malloc_max(png, 16 << 20);  // a text chunk this large is not a record
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, reinterpret_cast<png_const_bytep>("acTL\0"), 1);
  png_read_info(png, info);
  png_get_text(png, info, &text, &text_count);
  unknown_count = png_get_unknown_chunks(png, info, &unknown);
  record.width = static_cast<int>(png_get_image_width(png, info));
  record.height = static_cast<int>(png_get_image_height(png, info));
  for (int i = 0; i < unknown_count; ++i)
    if (std::memcmp(unknown[i].name, "acTL", 4) == 0) record.format = "APNG";
  for (int i = 0; i < text_count; ++i) {
    const size_t length = text[i].compression > 0 ? text[i].itxt_length : text[i].text_length;
    std::string value(text[i].text ? text[i].text : "", text[i].text ? length : 0);
    if (std::strcmp(text[i].key, kXmpPngKeyword) == 0) record.xmp = std::move(value);
    else record.text.emplace_back(text[i].key, std::move(value));
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return record;
}

namespace {

std::string gif_read_error(int code) {
  const char* s = GifErrorString(code);
  return s ? s : ("giflib error " + std::to_string(code));
}

// Undoes GifWriter's XMP layout: the sub-blocks' length bytes are the packet's own bytes, then the trailer.
std::string xmp_from_blocks(const std::string& raw) {
  constexpr size_t kTrailer = 257;  // 1, 255, ..., 0 (the final 0 is the block terminator, not in `raw`)
  return raw.size() >= kTrailer ? raw.substr(0, raw.size() - kTrailer) : raw;
}

ImageRecord read_gif_record(const std::string& path) {
  ImageRecord record;
  record.format = "GIF";
  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  if (!gif) throw InputError(path + ": not a readable GIF (" + gif_read_error(error) + ")");
  std::unique_ptr<GifFileType, void (*)(GifFileType*)> closer(gif, [](GifFileType* g) { DGifCloseFile(g, nullptr); });
  record.width = gif->SWidth;
  record.height = gif->SHeight;
  const auto fail = [&] { return InputError(path + ": damaged GIF (" + gif_read_error(gif->Error) + ")"); };
  std::string comment;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) throw fail();
    if (type == TERMINATE_RECORD_TYPE) break;
    if (type == IMAGE_DESC_RECORD_TYPE) {  // a frame: skip its compressed pixels without decoding them
      int code_size = 0;
      GifByteType* block = nullptr;
      if (DGifGetImageDesc(gif) == GIF_ERROR || DGifGetCode(gif, &code_size, &block) == GIF_ERROR) throw fail();
      while (block)
        if (DGifGetCodeNext(gif, &block) == GIF_ERROR) throw fail();
      continue;
    }
    if (type != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) throw fail();
    const bool xmp = code == APPLICATION_EXT_FUNC_CODE && block && block[0] == 11 &&
                     std::memcmp(block + 1, "XMP DataXMP", 11) == 0;
    const bool is_comment = code == COMMENT_EXT_FUNC_CODE;
    std::string raw;
    if (is_comment && block) raw.append(reinterpret_cast<const char*>(block + 1), block[0]);
    for (;;) {
      if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) throw fail();
      if (!block) break;
      if (xmp) raw.append(reinterpret_cast<const char*>(block), size_t{block[0]} + 1);
      else if (is_comment) raw.append(reinterpret_cast<const char*>(block + 1), block[0]);
    }
    if (xmp) record.xmp = xmp_from_blocks(raw);
    if (is_comment) comment += raw;
  }
  // Comment lines "keyword: value" (GifWriter's layout); other comments are kept whole under "Comment".
  size_t start = 0;
  while (start < comment.size()) {
    size_t end = comment.find('\n', start);
    if (end == std::string::npos) end = comment.size();
    const std::string line = comment.substr(start, end - start);
    const size_t colon = line.find(": ");
    if (colon != std::string::npos && colon > 0) record.text.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    else if (!line.empty()) record.text.emplace_back("Comment", line);
    start = end + 1;
  }
  return record;
}

}  // namespace

bool looks_like_png_or_gif(const std::string& path) {
  const std::string head = file_signature(path);
  return head.rfind("\x89PNG\r\n\x1a\n", 0) == 0 || head.rfind("GIF8", 0) == 0;
}

ImageRecord read_image_record(const std::string& path) {
  const std::string head = file_signature(path);
  if (head.rfind("\x89PNG\r\n\x1a\n", 0) == 0) {
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) > (uintmax_t{1} << 30)) throw InputError(path + ": file is too large");
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return read_png_record(bytes, path);
  }
  if (head.rfind("GIF8", 0) == 0) return read_gif_record(path);
  throw InputError(path + (head.empty() ? ": cannot open, or empty" : ": not a PNG or GIF file"));
}

}  // namespace draggan
