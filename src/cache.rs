//! The one kind of cache an instance keeps: a bounded map of shared values derived from what the database holds
//! (revisions, their rendered HTML, forms' pools, single sign-on providers' discovery documents), which the instance can always rebuild. When full it starts
//! again empty: simple, and a warm working set refills it at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

#[derive(Debug)]
pub struct Bounded<K, V> {
    map: RwLock<HashMap<K, Arc<V>>>,
    max: usize,
}

impl<K: Eq + Hash, V> Bounded<K, V> {
    pub fn new(max: usize) -> Self {
        Bounded {
            map: RwLock::new(HashMap::new()),
            max,
        }
    }

    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.map.read().ok()?.get(key).cloned()
    }

    /// Keeps `value` under `key` (emptying the map first when it is full).
    pub fn insert(&self, key: K, value: Arc<V>) {
        if let Ok(mut m) = self.map.write() {
            if m.len() >= self.max {
                m.clear();
            }
            m.insert(key, value);
        }
    }

    /// The value under `key`, made by `make` (and kept) when there is none.
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        if let Some(hit) = self.get(&key) {
            return hit;
        }
        let value = Arc::new(make());
        self.insert(key, value.clone());
        value
    }

    /// Drops the value under `key` (its source changed).
    pub fn remove(&self, key: &K) {
        if let Ok(mut m) = self.map.write() {
            m.remove(key);
        }
    }

    pub fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_again_and_keeps_the_new_value() {
        let c: Bounded<u32, String> = Bounded::new(2);
        c.insert(1, Arc::new("a".into()));
        c.insert(2, Arc::new("b".into()));
        assert_eq!(c.len(), 2);
        c.insert(3, Arc::new("c".into()));
        assert_eq!(c.len(), 1);
        assert!(c.get(&1).is_none());
        assert_eq!(c.get(&3).as_deref().map(String::as_str), Some("c"));
        let mut made = 0;
        c.get_or_insert_with(3, || {
            made += 1;
            String::new()
        });
        assert_eq!(made, 0, "a hit makes nothing");
    }
}
