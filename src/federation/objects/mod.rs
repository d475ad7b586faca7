//! The only place that maps database rows to and from ActivityStreams.
pub mod note;
pub mod person;
pub mod question;

pub use note::ApubNote;
pub use person::ApubPerson;
