//! Building an index: two streaming passes over the feeds (learn the fields, then index), in memory or into a
//! folder on disk.

use std::path::Path;

use tantivy::{Index, IndexWriter};

use super::schema::{SchemaFields, build_schema, to_document};
use super::{Catalog, IndexError, PROGRESS_EVERY, Stage, register_tokenizer};
use crate::catalog::feed::{self, ImportOptions, ImportReport};
use crate::catalog::shelf::{Origin, write_manifest};
use crate::catalog::{Fields, Product};

/// The index writer's memory budget for big catalogs (more means fewer, bigger segments while building).
const WRITER_MEMORY: usize = 128 * 1024 * 1024;
/// tantivy's smallest budget for one indexing thread.
const WRITER_MEMORY_MIN: usize = 15_000_000;
/// Budget per product: small catalogs get a small arena. The allocator keeps what the build used for later, so a
/// 128 MB arena for a few hundred products stayed in the server's resident memory for good.
const WRITER_MEMORY_PER_PRODUCT: usize = 2 * 1024;

/// The writer budget for a catalog of `products`.
fn writer_memory(products: usize) -> usize {
    products
        .saturating_mul(WRITER_MEMORY_PER_PRODUCT)
        .clamp(WRITER_MEMORY_MIN, WRITER_MEMORY)
}

impl Catalog {
    /// Imports every feed in `dir` (two streaming passes: the first learns the fields, the second indexes) into an
    /// index held in memory.
    pub fn from_dir(dir: &Path) -> Result<(Catalog, Vec<ImportReport>), IndexError> {
        Self::build(dir, &ImportOptions::default(), None, &mut |_, _| {})
    }

    /// Imports every feed in `dir` into an index in memory, or on disk in `out` (which must be new or empty).
    /// `progress` hears how many products each pass has read so far, every [`PROGRESS_EVERY`] products.
    pub fn build(
        dir: &Path,
        options: &ImportOptions,
        out: Option<&Path>,
        progress: &mut dyn FnMut(Stage, usize),
    ) -> Result<(Catalog, Vec<ImportReport>), IndexError> {
        let files = feed::files(dir)?;
        let mut fields = Fields::builtin();
        let mut seen = 0usize;
        feed::read_all_with(&files, options, &mut |product| {
            fields.observe(&product);
            seen += 1;
            if seen.is_multiple_of(PROGRESS_EVERY) {
                progress(Stage::Reading, seen);
            }
        })?;
        if let Some(out) = out {
            let occupied = std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some());
            if occupied {
                return Err(IndexError::Occupied {
                    path: out.to_path_buf(),
                });
            }
        }
        let (index, schema) = Self::create(&fields, out)?;
        let mut writer = Self::writer(&index, seen)?;
        let mut failed = None;
        let mut indexed = 0usize;
        let reports = feed::read_all_with(&files, options, &mut |product| {
            if failed.is_none()
                && let Err(error) = writer.add_document(to_document(&product, &schema))
            {
                failed = Some(error);
            }
            indexed += 1;
            if indexed.is_multiple_of(PROGRESS_EVERY) {
                progress(Stage::Indexing, indexed);
            }
        })?;
        if let Some(error) = failed {
            return Err(error.into());
        }
        writer.commit()?;
        let origin = match out {
            Some(out) => {
                write_manifest(out, &fields)?;
                Origin::Built(out.to_path_buf())
            }
            None => Origin::Memory,
        };
        let catalog = Self::open(index, schema, fields, origin, None)?;
        Ok((catalog, reports))
    }

    /// Indexes `products` in memory; for tests and small catalogs built in code.
    pub fn from_products(products: &[Product]) -> Result<Catalog, IndexError> {
        let mut fields = Fields::builtin();
        products.iter().for_each(|p| fields.observe(p));
        let (index, schema) = Self::create(&fields, None)?;
        let mut writer = Self::writer(&index, products.len())?;
        for product in products {
            writer.add_document(to_document(product, &schema))?;
        }
        writer.commit()?;
        Self::open(index, schema, fields, Origin::Memory, None)
    }

    /// Indexes `batches` in memory, one commit (so one segment) per batch: for tests of multi-segment catalogs.
    #[cfg(test)]
    pub(crate) fn from_batches(batches: &[&[Product]]) -> Result<Catalog, IndexError> {
        let mut fields = Fields::builtin();
        batches
            .iter()
            .flat_map(|b| b.iter())
            .for_each(|p| fields.observe(p));
        let (index, schema) = Self::create(&fields, None)?;
        let mut writer = Self::writer(&index, batches.iter().map(|b| b.len()).sum())?;
        for batch in batches {
            for product in *batch {
                writer.add_document(to_document(product, &schema))?;
            }
            writer.commit()?;
        }
        Self::open(index, schema, fields, Origin::Memory, None)
    }

    fn create(fields: &Fields, dir: Option<&Path>) -> Result<(Index, SchemaFields), IndexError> {
        let (schema, handles) = build_schema(fields);
        let index = match dir {
            None => Index::create_in_ram(schema),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| IndexError::Folder {
                    path: dir.to_path_buf(),
                    source,
                })?;
                Index::create_in_dir(dir, schema)?
            }
        };
        register_tokenizer(&index);
        Ok((index, handles))
    }

    fn writer(index: &Index, products: usize) -> Result<IndexWriter, IndexError> {
        // One indexing thread keeps documents in feed order, so tie-breaking among equal scores is reproducible.
        Ok(index.writer_with_num_threads(1, writer_memory(products))?)
    }
}
