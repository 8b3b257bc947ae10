//! The instructor area: the packs in the bank (list, upload, one pack, forms, preview), one file per page group.

mod forms;
mod list;
mod pack;
mod preview;
mod upload;

pub use forms::*;
pub use list::*;
pub use pack::*;
pub use preview::*;
pub use upload::*;
