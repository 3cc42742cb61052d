// Every limit the editor server enforces, in one place, so each route (and `load`, which replays several of
// them) refuses the same things with the same words. Options of `draggan serve` override the ones a person may
// want to tune (see ServerOptions); the rest are fixed here because no honest client comes near them.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace draggan::server::limits {

// --- request bodies (checked from Content-Length before a byte of the body is read)
constexpr size_t kJsonBodyBytes = 1u << 20;       // points, settings, masks (rle of a 1024-px mask fits)
constexpr size_t kSessionFileBytes = 64u << 20;   // POST .../load: a session file may carry tuned weights
constexpr size_t kImageBodyBytes = 32u << 20;     // POST .../upload and PUT .../mask with an image body
constexpr size_t kBodyBytesInFlight = 192u << 20; // all bodies being received at once, every connection

// --- JSON documents (nlohmann builds ~16+ bytes per value: a 1 MB array of zeros would be 8 MB)
constexpr int kJsonDepth = 32;
constexpr size_t kJsonContainersPerContainer = 4096;  // objects/arrays in one array or object (numbers: any)
constexpr size_t kJsonValues = 1u << 18;          // any route but load
constexpr size_t kSessionFileJsonValues = 4u << 20; // load: a run-length mask of a noisy 1024-px image

// --- editor content
constexpr size_t kMaxPoints = 64;                 // handle/target pairs in a session
constexpr double kMaxAbsPsi = 10.0;               // truncation psi accepted from a client

// --- images from clients (uploads are projected at the model's size anyway; the budget keeps a decode's
// memory at ~20 bytes per pixel * 16.8 Mpx ~ 340 MB at worst, and only kConcurrentDecodes run at once)
constexpr int64_t kUploadPixels = int64_t{4096} * 4096;
constexpr int kUploadSide = 8192;
constexpr int kConcurrentDecodes = 1;
constexpr std::chrono::milliseconds kDecodeWait{3000};  // then 503: busy decoding other images

// --- connections and event streams
constexpr size_t kEventStreamsPerSession = 4;     // a tab uses one; reconnects may overlap briefly
constexpr std::chrono::seconds kReadStall{5};     // no byte for this long: the connection is dropped
constexpr std::chrono::seconds kWriteStall{10};   // a client not reading its answer (or its stream)
constexpr std::chrono::seconds kKeepAliveIdle{5};

}  // namespace draggan::server::limits
