//! The table-driving macro: one line per field generates the struct and all three codecs.

/// Field default: the given expression, or the type's `Default`.
macro_rules! dflt {
    ($t:ty) => {
        <$t>::default()
    };
    ($t:ty, $d:expr) => {
        $d
    };
}

/// The payload type of a `Message` variant: large structs are boxed (`, boxed` in the table) so
/// `Message` stays the size of the largest market-data message, which is moved on every decode.
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

/// Declares DTC messages:
/// `Name = TYPE, SIZEOF [, boxed] { field: type = "JsonName" @ offset [=> default], ... }`.
/// Field order is declaration order, which is also the JSON-compact `F` order.
macro_rules! dtc_messages {
    ($(
        $(#[$doc:meta])*
        $name:ident = $ty:literal, $size:literal $(, $boxed:ident)? {
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

            impl $name {
                /// Message type number.
                pub const TYPE: u16 = $ty;
                /// `sizeof` of the newest header's struct (what we send).
                pub const SIZE: usize = $size;
                /// JSON names in declaration order (the JSON-compact `F` order).
                pub const FIELDS: &'static [&'static str] = &[$($jname),*];

                /// (name, offset, width) of each field, for layout tests.
                #[cfg(test)]
                pub(crate) const LAYOUT: &'static [(&'static str, usize, usize)] =
                    &[$(($jname, $off, <$fty as WireField>::WIDTH)),*];

                #[inline]
                fn read_bin(b: &[u8]) -> Self {
                    let mut m = Self::default();
                    $( if let Some(v) = <$fty as WireField>::get(b, $off) { m.$field = v; } )*
                    m
                }

                #[inline]
                fn write_bin(&self, buf: &mut [u8]) {
                    $( self.$field.put(buf, $off); )*
                }

                fn unset_to_zero(&mut self) {
                    $(
                        if WireField::is_unset(&self.$field) {
                            self.$field = Default::default();
                        }
                    )*
                }

                fn write_named(&self, out: &mut Vec<u8>) {
                    $(
                        out.extend_from_slice(concat!(",\"", $jname, "\":").as_bytes());
                        self.$field.write_json(out);
                    )*
                }

                fn set_named(&mut self, key: &[u8], v: &JVal<'_>) -> Result<(), DecodeError> {
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
                fn write_pos(&self, idx: usize, out: &mut Vec<u8>) {
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
                fn set_pos(&mut self, idx: usize, v: &JVal<'_>) -> Result<(), DecodeError> {
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

            impl From<$name> for Message {
                fn from(m: $name) -> Message {
                    Message::$name(variant_val!(m $(, $boxed)?))
                }
            }
        )*

        /// Every message this crate decodes and encodes. Large, rare (session and trading)
        /// messages are boxed, so a decoded market-data message is a small value.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Message {
            $( $(#[$doc])* $name(variant_ty!($name $($boxed)?)), )*
        }

        impl Message {
            /// Its type number.
            pub fn type_num(&self) -> u16 {
                match self { $( Message::$name(_) => $ty, )* }
            }

            /// Its header constant name.
            pub fn name(&self) -> &'static str {
                message_name(self.type_num())
            }

            /// The SymbolID of messages that carry one (market data, depth, rejects, requests).
            #[inline]
            pub fn symbol_id(&self) -> Option<u32> {
                match self { $( Message::$name(m) => { let _ = &m; symbol_id_of!(m; $($field),*) } )* }
            }

            /// Field count (length of a full compact `F`).
            pub fn field_count(&self) -> usize {
                match self { $( Message::$name(_) => $name::FIELDS.len(), )* }
            }

            /// Field layout of a type (tests).
            #[cfg(test)]
            pub(crate) fn layout(ty: u16) -> (usize, &'static [(&'static str, usize, usize)]) {
                match ty {
                    $( $ty => ($size, $name::LAYOUT), )*
                    _ => (0, &[]),
                }
            }

            /// All type numbers we implement.
            pub const TYPES: &'static [u16] = &[$($ty),*];

            /// Binary decode of a whole frame (header included) known to be of type `ty`.
            pub(crate) fn read_bin(ty: u16, b: &[u8]) -> Result<Message, DecodeError> {
                match ty {
                    $( $ty => Ok(Message::$name(variant_val!($name::read_bin(b) $(, $boxed)?))), )*
                    _ => Err(DecodeError::UnknownType(ty)),
                }
            }

            /// Appends the binary frame (our full current size).
            pub(crate) fn write_bin(&self, out: &mut Vec<u8>) {
                match self {
                    $( Message::$name(m) => {
                        let start = out.len();
                        out.resize(start + $size, 0);
                        let buf = &mut out[start..];
                        buf[0..2].copy_from_slice(&($size as u16).to_le_bytes());
                        buf[2..4].copy_from_slice(&($ty as u16).to_le_bytes());
                        m.write_bin(buf);
                    } )*
                }
            }

            /// A default message of type `ty` (JSON decoding fills it field by field).
            pub(crate) fn empty(ty: u16) -> Result<Message, DecodeError> {
                match ty {
                    $( $ty => Ok(Message::$name(variant_val!($name::default() $(, $boxed)?))), )*
                    _ => Err(DecodeError::UnknownType(ty)),
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

            pub(crate) fn set_named(&mut self, key: &[u8], v: &JVal<'_>) -> Result<(), DecodeError> {
                match self { $( Message::$name(m) => m.set_named(key, v), )* }
            }

            pub(crate) fn write_pos(&self, idx: usize, out: &mut Vec<u8>) {
                match self { $( Message::$name(m) => m.write_pos(idx, out), )* }
            }

            pub(crate) fn set_pos(&mut self, idx: usize, v: &JVal<'_>) -> Result<(), DecodeError> {
                match self { $( Message::$name(m) => m.set_pos(idx, v), )* }
            }
        }
    };
}
