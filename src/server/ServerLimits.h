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
constexpr size_t kJsonDocumentBytes = 16u << 20;  // any route but load: what the parsed document may take
// load: a session file has a few hundred strings (names, tensors as base64) whatever its size; its document
// takes its base64 text once (twice while strings grow) and 32 bytes per number of a mask.
constexpr size_t kSessionFileJsonStrings = 1u << 16;
constexpr size_t kSessionFileDocumentBytes = 2 * kSessionFileBytes + (64u << 20);
// A JSON body this large is parsed only one at a time (the others wait, then 503): several 64 MB session
// files at once would add their documents up.
constexpr size_t kLargeJsonBytes = 4u << 20;
constexpr std::chrono::milliseconds kLargeJsonWait{10000};

// --- editor content
constexpr size_t kMaxPoints = 64;                 // handle/target pairs in a session
constexpr double kMaxAbsPsi = 10.0;               // truncation psi accepted from a client

// --- images from clients (uploads are projected at the model's size anyway; the budget keeps a decode's
// memory at ~20 bytes per pixel * 16.8 Mpx ~ 340 MB at worst, and only kConcurrentDecodes run at once)
constexpr int64_t kUploadPixels = int64_t{4096} * 4096;
constexpr int kUploadSide = 8192;
constexpr int kConcurrentDecodes = 1;
// then 503: busy decoding other images. Longer than the slowest decode within the limits (under 1 s of CPU:
// a 4096x4096 JPEG of 32 scans, a 4.2 Mpx HDR; docs/server.md), so one slow decode never turns another away.
constexpr std::chrono::milliseconds kDecodeWait{5000};

// --- connections and event streams
constexpr size_t kEventStreamsPerSession = 4;     // a tab uses one; reconnects may overlap briefly
// What may wait for one event stream's reader (EventHub.h): a few live images (a step's inline PNG is at most
// 256 kB, ~342 kB as base64) besides the latest state; beyond it, or when the oldest waiting event is this
// old, the stream is cut and the page reconnects. All streams together: --max-event-streams x this, plus
// the frame each is writing (frames are shared between a session's streams).
constexpr size_t kStreamBacklogBytes = 1u << 20;
constexpr size_t kStreamBacklogEvents = 256;
constexpr std::chrono::seconds kStreamMaxLag{30};
constexpr std::chrono::seconds kReadStall{5};     // no byte for this long: the connection is dropped
constexpr std::chrono::seconds kWriteStall{10};   // a client not reading its answer (or its stream)
constexpr std::chrono::seconds kKeepAliveIdle{5};
// An answer must be taken within this grace plus one second per kAnswerBytesPerSecond beyond it (a client
// reading 1 kB every 2 s loses its connection after ~10 s instead of holding it for the whole answer).
constexpr std::chrono::seconds kAnswerGrace{10};
constexpr size_t kAnswerBytesPerSecond = 32 * 1024;

}  // namespace draggan::server::limits
