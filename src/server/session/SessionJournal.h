// What an EditorSession tells whoever keeps it outside the process (the session store; nobody without one)
// from its worker thread, where no request is there to do it: each drag step's state before the step is
// published, and the end of a drag or upload.
#pragma once
#include <string>

namespace draggan::server {

class EditorSession;

class SessionJournal {
 public:
  enum class Verdict {
    Carry,        // committed: go on
    Lost,         // another replica drives the session now: stop at once, write and publish nothing more
    Unavailable,  // the store cannot be reached: the drag ends with an error (`error` says why)
  };
  virtual ~SessionJournal() = default;
  // `checkpoint`: DragCheckpoint bytes, the drag's state after the step.
  virtual Verdict drag_step(EditorSession& session, const std::string& checkpoint, std::string& error) = 0;
  // A drag or upload ended (its result is in the session now): commit the session.
  virtual void finished(EditorSession& session) = 0;
};

}  // namespace draggan::server
