//! The JSON that `show advanced-routing route` puts inside `<result><json>`, read straight into
//! the few fields the route table needs instead of into a [`serde_json::Value`] tree: a table
//! of 800 routes was some 35,000 allocations as a tree (every key, every string, every map).
//!
//! The reading is lenient in exactly the way lookups in a `Value` are: a value of another
//! shape than expected reads as absent, the last of duplicate keys wins, routers and prefixes
//! come in key order (a `Value` object is a `BTreeMap` here), and anything that is not valid
//! JSON fails with the error `serde_json` gives for it, since every value, read or skipped, is
//! parsed the way `Value` parses it (`deserialize_any`).
//!
//! What this module must not do: reject valid JSON of an unexpected shape.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The whole JSON: `{"<logical router>": {"<prefix>": [entry…]}}`, or `None` when it is valid
/// JSON but not an object.
#[derive(Debug, Default)]
pub(super) struct Routers<'j>(pub(super) Option<BTreeMap<Cow<'j, str>, Prefixes<'j>>>);

/// One router's prefixes, when its value is an object.
#[derive(Debug, Default)]
pub(super) struct Prefixes<'j>(pub(super) Option<BTreeMap<Cow<'j, str>, Entries<'j>>>);

/// The routes to one prefix, when its value is an array.
#[derive(Debug, Default)]
pub(super) struct Entries<'j>(pub(super) Vec<Entry<'j>>);

/// One route: every field absent unless the entry is an object that has it with the right
/// type.
#[derive(Debug, Default)]
pub(super) struct Entry<'j> {
    pub(super) prefix: Option<Cow<'j, str>>,
    pub(super) protocol: Option<Cow<'j, str>>,
    pub(super) metric: Option<u64>,
    pub(super) uptime: Option<Cow<'j, str>>,
    pub(super) nexthops: Hops<'j>,
}

/// The next hops of a route, when its `nexthops` is an array.
#[derive(Debug, Default)]
pub(super) struct Hops<'j>(pub(super) Vec<Hop<'j>>);

/// One next hop.
#[derive(Debug, Default)]
pub(super) struct Hop<'j> {
    pub(super) ip: Option<Cow<'j, str>>,
    pub(super) interface_name: Option<Cow<'j, str>>,
}

/// `text` parsed as the route JSON.
pub(super) fn routers(text: &str) -> serde_json::Result<Routers<'_>> {
    serde_json::from_str::<Lenient<Routers<'_>>>(text).map(|read| read.0)
}

/// How a value is built from each shape of JSON; every shape not handled reads as the
/// default (after being parsed through, as [`Skip`]).
trait FromJson<'de>: Default {
    fn from_str(_text: Cow<'de, str>) -> Self {
        Self::default()
    }

    fn from_u64(_number: u64) -> Self {
        Self::default()
    }

    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<Lenient<Skip>>()?.is_some() {}
        Ok(Self::default())
    }

    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<Lenient<Skip>, Lenient<Skip>>()?.is_some() {}
        Ok(Self::default())
    }
}

/// Any value, parsed and dropped.
#[derive(Default)]
struct Skip;

impl FromJson<'_> for Skip {}

impl<'de> FromJson<'de> for Routers<'de> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        object(map).map(|routers| Self(Some(routers)))
    }
}

impl<'de> FromJson<'de> for Prefixes<'de> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        object(map).map(|prefixes| Self(Some(prefixes)))
    }
}

impl<'de> FromJson<'de> for Entries<'de> {
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        array(seq).map(Self)
    }
}

impl<'de> FromJson<'de> for Hops<'de> {
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        array(seq).map(Self)
    }
}

impl<'de> FromJson<'de> for Entry<'de> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut entry = Self::default();
        while let Some(key) = next_key(&mut map)? {
            match key.as_ref() {
                "prefix" => entry.prefix = next_value::<_, Text<'de>>(&mut map)?.0,
                "protocol" => entry.protocol = next_value::<_, Text<'de>>(&mut map)?.0,
                "metric" => entry.metric = next_value::<_, Number>(&mut map)?.0,
                "uptime" => entry.uptime = next_value::<_, Text<'de>>(&mut map)?.0,
                "nexthops" => entry.nexthops = next_value(&mut map)?,
                _ => {
                    next_value::<_, Skip>(&mut map)?;
                }
            }
        }
        Ok(entry)
    }
}

impl<'de> FromJson<'de> for Hop<'de> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut hop = Self::default();
        while let Some(key) = next_key(&mut map)? {
            match key.as_ref() {
                "ip" => hop.ip = next_value::<_, Text<'de>>(&mut map)?.0,
                "interfaceName" => hop.interface_name = next_value::<_, Text<'de>>(&mut map)?.0,
                _ => {
                    next_value::<_, Skip>(&mut map)?;
                }
            }
        }
        Ok(hop)
    }
}

/// The next key of an object (always a string in JSON).
fn next_key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    let key = map.next_key::<Lenient<Text<'de>>>()?;
    Ok(key.map(|Lenient(key)| key.0.unwrap_or_default()))
}

/// The value of the key just read.
fn next_value<'de, A: MapAccess<'de>, T: FromJson<'de>>(map: &mut A) -> Result<T, A::Error> {
    map.next_value::<Lenient<T>>().map(|Lenient(value)| value)
}

/// A string, borrowed from the JSON when it has no escapes.
#[derive(Default)]
struct Text<'j>(Option<Cow<'j, str>>);

impl<'de> FromJson<'de> for Text<'de> {
    fn from_str(text: Cow<'de, str>) -> Self {
        Self(Some(text))
    }
}

/// A whole number that fits in a `u64` (as [`serde_json::Value::as_u64`]).
#[derive(Default)]
struct Number(Option<u64>);

impl FromJson<'_> for Number {
    fn from_u64(number: u64) -> Self {
        Self(Some(number))
    }
}

/// An object's members by key, the last of duplicate keys winning.
fn object<'de, A, T>(mut map: A) -> Result<BTreeMap<Cow<'de, str>, T>, A::Error>
where
    A: MapAccess<'de>,
    T: FromJson<'de>,
{
    let mut members = BTreeMap::new();
    while let Some(key) = next_key(&mut map)? {
        members.insert(key, next_value(&mut map)?);
    }
    Ok(members)
}

/// An array's elements.
fn array<'de, A, T>(mut seq: A) -> Result<Vec<T>, A::Error>
where
    A: SeqAccess<'de>,
    T: FromJson<'de>,
{
    let mut elements = Vec::new();
    while let Some(Lenient(element)) = seq.next_element::<Lenient<T>>()? {
        elements.push(element);
    }
    Ok(elements)
}

/// A `T` read from any JSON value through `deserialize_any`, as a `Value` is.
struct Lenient<T>(T);

impl<'de, T: FromJson<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(LenientVisitor(PhantomData))
            .map(Lenient)
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: FromJson<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_bool<E>(self, _value: bool) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_u64<E>(self, value: u64) -> Result<T, E> {
        Ok(T::from_u64(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<T, E> {
        Ok(u64::try_from(value).map_or_else(|_| T::default(), T::from_u64))
    }

    fn visit_f64<E>(self, _value: f64) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<T, E> {
        Ok(T::from_str(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<T, E> {
        Ok(T::from_str(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<T, E> {
        Ok(T::from_str(Cow::Owned(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}
