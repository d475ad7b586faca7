//! Federation harness: arrives with the federation issue.
