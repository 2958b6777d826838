//! The tantivy index and the searchable [`Catalog`] handle.
//!
//! - `schema.rs`: the schema derived from the product model, products as documents, constraints as queries.
//! - `tokenizer.rs`: [`ShopTokenizer`], which reads Japanese (bigrams for kana/kanji runs, words for Latin text).
//! - `build.rs`: importing feeds into an index, in memory or into a folder.
//!
//! A catalog opens its index once and searches it through one frozen searcher for its whole life: the index never
//! changes under it (a reload opens a new catalog), which is what lets the matcher cache product sets.

mod build;
mod schema;
mod tokenizer;

use std::path::Path;
use std::sync::Arc;

use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

pub(crate) use schema::SchemaFields;
pub use tokenizer::{ShopTokenStream, ShopTokenizer};

use super::bits::{Bits, SetCache};
use super::feed::FeedError;
use super::memo::Memo;
use super::shelf::{Lease, Origin, read_manifest};
use super::{Fields, Product};

const TOKENIZER: &str = "shop";

/// Every index, built or opened, reads its text fields with [`ShopTokenizer`].
fn register_tokenizer(index: &Index) {
    index
        .tokenizers()
        .register(TOKENIZER, TextAnalyzer::from(ShopTokenizer::default()));
}
/// How often [`Catalog::build`] reports progress, in products.
pub const PROGRESS_EVERY: usize = 10_000;

/// The pass of a build that progress is reported for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The first pass, learning which fields the products carry.
    Reading,
    /// The second pass, indexing.
    Indexing,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("catalog index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("catalog index folder `{path}`: {source}")]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("index folder `{path}` is not empty; remove it or pass a new folder to --out")]
    Occupied { path: std::path::PathBuf },
    #[error(
        "`{path}` holds no catalog index (no catalog.json); build one with `shopkeep index FEEDS --out {path}`"
    )]
    NotAnIndex { path: std::path::PathBuf },
    #[error(
        "the catalog index in `{path}` was written by another version of shopkeep; remove the folder and build it again"
    )]
    Stale { path: std::path::PathBuf },
    #[error("stored product is not readable: {0}; rebuild the index with `shopkeep index`")]
    Stored(String),
}

/// Decoded products one catalog keeps (see `Inner::products`).
const PRODUCT_MEMO: usize = 4096;

struct Inner {
    /// Kept so the index outlives every searcher handed out.
    _index: Index,
    /// The one searcher every search of this catalog uses: the index never changes once opened (a reload opens a
    /// new catalog), so document numbers, and the cached sets over them, stay valid for the catalog's lifetime.
    frozen: Bits,
    sets: SetCache,
    /// Products read from the stored documents lately: the picks of popular answers come back again and again, and
    /// decoding a stored product was the larger part of a match over a small catalog. Bounded by
    /// [`PRODUCT_MEMO`] entries (a few MB).
    products: Memo<tantivy::DocAddress, Product>,
    ratings: crate::catalog::matcher::Ratings,
    schema: SchemaFields,
    fields: Fields,
    len: usize,
    origin: Origin,
    /// Last, so the folder it holds outlives the searcher that reads it.
    _lease: Option<Lease>,
}

/// A searchable catalog. Cheap to clone: clones share one index and reader.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

impl Catalog {
    /// Opens the index written to `folder` by `shopkeep index --out` (or kept by a [`super::Shelf`]), memory-mapped.
    pub fn open_dir(folder: &Path) -> Result<Catalog, IndexError> {
        Self::open_dir_with(folder, Origin::Opened(folder.to_path_buf()), None)
    }

    pub(crate) fn open_dir_with(
        folder: &Path,
        origin: Origin,
        lease: Option<Lease>,
    ) -> Result<Catalog, IndexError> {
        let fields = read_manifest(folder)?;
        let index = Index::open_in_dir(folder)?;
        let (schema, handles) = schema::build_schema(&fields);
        if index.schema() != schema {
            return Err(IndexError::Stale {
                path: folder.to_path_buf(),
            });
        }
        register_tokenizer(&index);
        Self::open(index, handles, fields, origin, lease)
    }

    fn open(
        index: Index,
        schema: SchemaFields,
        fields: Fields,
        origin: Origin,
        lease: Option<Lease>,
    ) -> Result<Catalog, IndexError> {
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let frozen = Bits::new(reader.searcher());
        let len = frozen.searcher().num_docs() as usize;
        Ok(Catalog {
            inner: Arc::new(Inner {
                _index: index,
                sets: SetCache::new(frozen.len()),
                products: Memo::new(PRODUCT_MEMO),
                ratings: crate::catalog::matcher::Ratings::new(&frozen, &schema.rating_column),
                frozen,
                schema,
                fields,
                len,
                origin,
                _lease: lease,
            }),
        })
    }

    pub fn len(&self) -> usize {
        self.inner.len
    }

    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Where the catalog's index came from (memory, or which folder and whether it was built or reused).
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// The fields the catalog's products carry.
    pub fn fields(&self) -> &Fields {
        &self.inner.fields
    }

    pub(crate) fn schema(&self) -> &SchemaFields {
        &self.inner.schema
    }

    pub(crate) fn searcher(&self) -> tantivy::Searcher {
        self.inner.frozen.searcher().clone()
    }

    pub(crate) fn frozen(&self) -> &Bits {
        &self.inner.frozen
    }

    pub(crate) fn ratings(&self) -> &crate::catalog::matcher::Ratings {
        &self.inner.ratings
    }

    pub(crate) fn set_cache(&self) -> &SetCache {
        &self.inner.sets
    }

    /// The stored product at `address`.
    pub(crate) fn product_at(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<Arc<Product>, IndexError> {
        if let Some(product) = self.inner.products.get(&address) {
            return Ok(product);
        }
        let doc: TantivyDocument = searcher.doc(address)?;
        let json = doc
            .get_first(self.inner.schema.doc)
            .and_then(|v| v.as_str())
            .ok_or_else(|| IndexError::Stored("no stored document".into()))?;
        let product: Product =
            serde_json::from_str(json).map_err(|e| IndexError::Stored(e.to_string()))?;
        let product = Arc::new(product);
        self.inner.products.put(address, Arc::clone(&product));
        Ok(product)
    }

    /// Whether a product with `id` is in the catalog: a term lookup, no document is read (shop events check every
    /// product id they name).
    pub fn contains(&self, id: &str) -> bool {
        let term = Term::from_field_text(self.inner.schema.id, id);
        self.searcher().doc_freq(&term).is_ok_and(|n| n > 0)
    }

    /// The product with `id`, if the catalog has it.
    pub fn get(&self, id: &str) -> Result<Option<Product>, IndexError> {
        let searcher = self.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.inner.schema.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        match top.first() {
            Some((_, address)) => Ok(Some(Arc::unwrap_or_clone(
                self.product_at(&searcher, *address)?,
            ))),
            None => Ok(None),
        }
    }
}
