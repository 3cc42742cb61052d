#include "draggan/invert/InversionProgress.h"

namespace draggan {

std::string to_string(InversionStage stage) {
  return stage == InversionStage::Projection ? "projection" : "pti";
}

}  // namespace draggan
