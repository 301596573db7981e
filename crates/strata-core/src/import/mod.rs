//! Import schemas: which fields each importable entity has, how sheet headers map onto them, and
//! how one row of cells becomes a validated record (or a list of cell errors).

mod entity;
mod mapping;
mod record;
mod row;

pub use entity::{Entity, FieldSpec};
pub use mapping::{Mapping, MappingError, Target};
pub use record::{CellError, CustomerRef, ImportOptions, Record};
