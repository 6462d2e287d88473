//! The table-driving macros: a line per field makes a struct and its three codecs; a line per message, `Message`.

/// Field default: the given expression, or the type's `Default`.
macro_rules! dflt {
    ($t:ty) => {
        <$t>::default()
    };
    ($t:ty, $d:expr) => {
        $d
    };
}

/// The payload type of a `Message` variant: large structs are boxed (`boxed` in the `dtc_enum!`
/// list) so `Message` stays the size of the largest market-data message, which is moved on every
/// decode.
macro_rules! variant_ty {
    ($n:ident) => {
        $n
    };
    ($n:ident boxed) => {
        Box<$n>
    };
}

/// Wraps a payload for its `Message` variant (see [`variant_ty`]).
macro_rules! variant_val {
    ($e:expr) => {
        $e
    };
    ($e:expr, boxed) => {
        Box::new($e)
    };
}

/// `Some(m.symbol_id)` when the field list has a `symbol_id`, else `None` (matched by name).
macro_rules! symbol_id_of {
    ($m:ident;) => {
        None
    };
    ($m:ident; symbol_id $(, $rest:ident)*) => {
        Some($m.symbol_id)
    };
    ($m:ident; $other:ident $(, $rest:ident)*) => {
        symbol_id_of!($m; $($rest),*)
    };
}

/// Declares DTC message structs, one table per file under `messages/`:
/// `Name = TYPE, SIZEOF { field: type = "JsonName" @ offset [=> default], ... }`.
/// Field order is declaration order, which is also the JSON-compact `F` order. The `Message`
/// enum over them is `dtc_enum!`'s, in `messages.rs`. Names are spelled from `$crate`, so a
/// table file imports only what its fields use.
macro_rules! dtc_structs {
    ($(
        $(#[$doc:meta])*
        $name:ident = $ty:literal, $size:literal {
            $( $field:ident : $fty:ty = $jname:literal @ $off:literal $(=> $def:expr)? ),* $(,)?
        }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, PartialEq)]
            pub struct $name {
                $( #[doc = $jname] pub $field: $fty, )*
            }

            // Hand-written so a logged message never shows a password.
            impl std::fmt::Debug for $name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    let mut d = f.debug_struct(stringify!($name));
                    $(
                        if stringify!($field) == "password" {
                            d.field(stringify!($field), &"***");
                        } else {
                            d.field(stringify!($field), &self.$field);
                        }
                    )*
                    d.finish()
                }
            }

            impl Default for $name {
                fn default() -> Self {
                    $name { $( $field: dflt!($fty $(, $def)?), )* }
                }
            }

            // The codec functions are `pub(super)`: `Message` (one module up, in `messages`)
            // dispatches to them, and nothing further out sees them, as when both were one file.
            impl $name {
                /// Message type number.
                pub const TYPE: u16 = $ty;
                /// `sizeof` of the newest header's struct (what we send).
                pub const SIZE: usize = $size;
                /// JSON names in declaration order (the JSON-compact `F` order).
                pub const FIELDS: &'static [&'static str] = &[$($jname),*];

                /// (name, offset, width) of each field, for layout tests.
                #[cfg(test)]
                pub(crate) const LAYOUT: &'static [(&'static str, usize, usize)] = &[$((
                    $jname,
                    $off,
                    <$fty as $crate::dtc::wire::field::WireField>::WIDTH,
                )),*];

                /// `Some(self.symbol_id)` when the message has one (see `Message::symbol_id`).
                #[inline]
                pub(super) fn carried_symbol_id(&self) -> Option<u32> {
                    symbol_id_of!(self; $($field),*)
                }

                #[inline]
                pub(super) fn read_bin(b: &[u8]) -> Self {
                    use $crate::dtc::wire::field::WireField;
                    let mut m = Self::default();
                    $( if let Some(v) = <$fty as WireField>::get(b, $off) { m.$field = v; } )*
                    m
                }

                #[inline]
                pub(super) fn write_bin(&self, buf: &mut [u8]) {
                    use $crate::dtc::wire::field::WireField;
                    $( self.$field.put(buf, $off); )*
                }

                pub(super) fn unset_to_zero(&mut self) {
                    use $crate::dtc::wire::field::WireField;
                    $(
                        if WireField::is_unset(&self.$field) {
                            self.$field = Default::default();
                        }
                    )*
                }

                pub(super) fn write_named(&self, out: &mut Vec<u8>) {
                    use $crate::dtc::wire::field::WireField;
                    $(
                        out.extend_from_slice(concat!(",\"", $jname, "\":").as_bytes());
                        self.$field.write_json(out);
                    )*
                }

                pub(super) fn set_named(
                    &mut self,
                    key: &[u8],
                    v: &$crate::dtc::wire::jsonlex::JVal<'_>,
                ) -> Result<(), $crate::dtc::wire::types::DecodeError> {
                    use $crate::dtc::wire::field::WireField;
                    use $crate::dtc::wire::types::DecodeError;
                    $(
                        if key == $jname.as_bytes() {
                            if let Some(x) = <$fty as WireField>::from_json(v)
                                .map_err(|_| DecodeError::WrongFieldType($jname))?
                            {
                                self.$field = x;
                            }
                            return Ok(());
                        }
                    )*
                    let _ = v;
                    Ok(())
                }

                #[allow(unused_assignments, unused_mut, unused_variables)]
                pub(super) fn write_pos(&self, idx: usize, out: &mut Vec<u8>) {
                    use $crate::dtc::wire::field::WireField;
                    let mut i = 0usize;
                    $(
                        if i == idx {
                            self.$field.write_json(out);
                            return;
                        }
                        i += 1;
                    )*
                    out.extend_from_slice(b"null");
                }

                #[allow(unused_assignments, unused_mut, unused_variables)]
                pub(super) fn set_pos(
                    &mut self,
                    idx: usize,
                    v: &$crate::dtc::wire::jsonlex::JVal<'_>,
                ) -> Result<(), $crate::dtc::wire::types::DecodeError> {
                    use $crate::dtc::wire::field::WireField;
                    use $crate::dtc::wire::types::DecodeError;
                    let mut i = 0usize;
                    $(
                        if i == idx {
                            if let Some(x) = <$fty as WireField>::from_json(v)
                                .map_err(|_| DecodeError::WrongFieldType($jname))?
                            {
                                self.$field = x;
                            }
                            return Ok(());
                        }
                        i += 1;
                    )*
                    // Extra trailing values (a newer server) are ignored, like a longer binary Size.
                    Ok(())
                }
            }

            // Naming the variant here is the compile-time check that this struct is listed in
            // `dtc_enum!`: an unlisted struct fails with "no variant or associated item named
            // `Name` found for enum `Message`". (The other way round, a listed name without a
            // struct fails in `dtc_enum!` with "cannot find type `Name`".) `into()` is the
            // identity or `Box::new`, whichever the variant holds.
            impl From<$name> for $crate::dtc::wire::messages::Message {
                fn from(m: $name) -> Self {
                    Self::$name(m.into())
                }
            }
        )*
    };
}

/// Declares the `Message` enum over the structs of `dtc_structs!`: `Name [boxed],` per
/// message, in type-number order (the order of `Message::TYPES`). Everything else it needs
/// (type number, size, fields) comes from the struct's constants and functions.
macro_rules! dtc_enum {
    ($( $name:ident $($boxed:ident)? ),* $(,)?) => {
        /// Every message this crate decodes and encodes. Large, rare (session and trading)
        /// messages are boxed, so a decoded market-data message is a small value.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Message {
            $(
                #[doc = concat!("[`", stringify!($name), "`]")]
                $name(variant_ty!($name $($boxed)?)),
            )*
        }

        impl Message {
            /// Its type number.
            pub fn type_num(&self) -> u16 {
                match self { $( Message::$name(_) => $name::TYPE, )* }
            }

            /// Its header constant name.
            pub fn name(&self) -> &'static str {
                $crate::dtc::wire::types::message_name(self.type_num())
            }

            /// The SymbolID of messages that carry one (market data, depth, rejects, requests).
            #[inline]
            pub fn symbol_id(&self) -> Option<u32> {
                match self { $( Message::$name(m) => m.carried_symbol_id(), )* }
            }

            /// Field count (length of a full compact `F`).
            pub fn field_count(&self) -> usize {
                match self { $( Message::$name(_) => $name::FIELDS.len(), )* }
            }

            /// Field layout of a type (tests).
            #[cfg(test)]
            pub(crate) fn layout(ty: u16) -> (usize, &'static [(&'static str, usize, usize)]) {
                match ty {
                    $( $name::TYPE => ($name::SIZE, $name::LAYOUT), )*
                    _ => (0, &[]),
                }
            }

            /// All type numbers we implement.
            pub const TYPES: &'static [u16] = &[$($name::TYPE),*];

            /// Binary decode of a whole frame (header included) known to be of type `ty`.
            pub(crate) fn read_bin(
                ty: u16,
                b: &[u8],
            ) -> Result<Message, $crate::dtc::wire::types::DecodeError> {
                match ty {
                    $( $name::TYPE => Ok(Message::$name(variant_val!($name::read_bin(b) $(, $boxed)?))), )*
                    _ => Err($crate::dtc::wire::types::DecodeError::UnknownType(ty)),
                }
            }

            /// Appends the binary frame (our full current size).
            pub(crate) fn write_bin(&self, out: &mut Vec<u8>) {
                match self {
                    $( Message::$name(m) => {
                        let start = out.len();
                        out.resize(start + $name::SIZE, 0);
                        let buf = &mut out[start..];
                        buf[0..2].copy_from_slice(&($name::SIZE as u16).to_le_bytes());
                        buf[2..4].copy_from_slice(&$name::TYPE.to_le_bytes());
                        m.write_bin(buf);
                    } )*
                }
            }

            /// A default message of type `ty` (JSON decoding fills it field by field).
            pub(crate) fn empty(ty: u16) -> Result<Message, $crate::dtc::wire::types::DecodeError> {
                match ty {
                    $( $name::TYPE => Ok(Message::$name(variant_val!($name::default() $(, $boxed)?))), )*
                    _ => Err($crate::dtc::wire::types::DecodeError::UnknownType(ty)),
                }
            }

            /// Replaces the binary "unset" markers (DBL_MAX, FLT_MAX, UINT_MAX) with 0, as
            /// Sierra Chart's JSON encodings send unset fields.
            pub fn unset_to_zero(&mut self) {
                match self { $( Message::$name(m) => m.unset_to_zero(), )* }
            }

            pub(crate) fn write_named(&self, out: &mut Vec<u8>) {
                match self { $( Message::$name(m) => m.write_named(out), )* }
            }

            pub(crate) fn set_named(
                &mut self,
                key: &[u8],
                v: &$crate::dtc::wire::jsonlex::JVal<'_>,
            ) -> Result<(), $crate::dtc::wire::types::DecodeError> {
                match self { $( Message::$name(m) => m.set_named(key, v), )* }
            }

            pub(crate) fn write_pos(&self, idx: usize, out: &mut Vec<u8>) {
                match self { $( Message::$name(m) => m.write_pos(idx, out), )* }
            }

            pub(crate) fn set_pos(
                &mut self,
                idx: usize,
                v: &$crate::dtc::wire::jsonlex::JVal<'_>,
            ) -> Result<(), $crate::dtc::wire::types::DecodeError> {
                match self { $( Message::$name(m) => m.set_pos(idx, v), )* }
            }
        }

        // The list is in type-number order and no two structs share a number: a misplaced or
        // renumbered message fails to compile here, rather than reorder `Message::TYPES` or
        // shadow another type in the decode match.
        const _: () = {
            let t = Message::TYPES;
            let mut i = 1;
            while i < t.len() {
                assert!(t[i - 1] < t[i], "dtc_enum!: type numbers must be strictly ascending");
                i += 1;
            }
        };
    };
}
