// The program's version, as recorded in the files it writes (PNG "Software", XMP CreatorTool).
#pragma once

namespace draggan {

inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kSoftwareName = "draggan 0.1.0";

}  // namespace draggan
