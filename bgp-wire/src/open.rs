//! OPEN messages ([RFC 4271 §4.2]) with the extended optional parameters
//! length of [RFC 9072].
//!
//! ```text
//! non-extended ([RFC 4271 §4.2]):
//!   Version(1) My AS(2) Hold Time(2) BGP Identifier(4) Opt Parm Len(1)
//!   { Parm Type(1) Parm Length(1) Parm Value }*
//! extended ([RFC 9072 §2]):
//!   Version(1) My AS(2) Hold Time(2) BGP Identifier(4) 255 255 Ext Opt Parm Len(2)
//!   { Parm Type(1) Parm Length(2) Parm Value }*
//! ```
//!
//! On receipt the extended format is recognised, as RFC 9072 §2 says, by a
//! non-zero Opt Parm Len followed by a first octet of 255. On transmission
//! [`ParamEncoding::Auto`] uses it only when the parameters do not fit 255
//! octets (or when the first parameter has type 255, which would otherwise
//! be read as the extended marker).
//!
//! # Errors
//! [`OpenMessage::parse`] checks the structure: every length must agree with
//! the octets that are there, and every capability must be well formed. All
//! structural errors map to OPEN Message Error / Unspecific (2/0), RFC 4271
//! §6.2's subcode for a malformed recognised optional parameter (and what
//! RFC 9072 §3 keeps for the extended format). The semantic checks of RFC
//! 4271 §6.2 (version, hold time, BGP Identifier, unknown parameter types)
//! are separate methods ([`OpenMessage::check`] runs them all), because the
//! FSM decides which apply; checks that need configuration (peer AS, role,
//! collision) belong to the FSM.
//!
//! [RFC 4271 §4.2]: https://www.rfc-editor.org/rfc/rfc4271#section-4.2
//! [RFC 9072]: https://www.rfc-editor.org/rfc/rfc9072
//! [RFC 9072 §2]: https://www.rfc-editor.org/rfc/rfc9072#section-2

use std::net::Ipv4Addr;

use crate::capability::{Capability, CapabilityEncodeError, CapabilityError, parse_capabilities};
use crate::codepoint::{ErrorCode, MessageType, subcode};
use crate::header::{HEADER_LEN, MAX_MESSAGE_LEN, put_header};
use crate::notification::Notification;
use crate::types::AS_TRANS;

/// [`AS_TRANS`] as the 2-octet field holds it.
const AS_TRANS_U16: u16 = 23456;
const _: () = assert!(AS_TRANS_U16 as u32 == AS_TRANS);

/// The BGP version this crate speaks.
pub const BGP_VERSION: u8 = 4;
/// The fixed part of an OPEN body: version to Opt Parm Len.
pub const OPEN_FIXED_LEN: usize = 10;
/// Optional parameter type of Capabilities ([RFC 5492 §4](https://www.rfc-editor.org/rfc/rfc5492#section-4)).
pub const PARAM_CAPABILITIES: u8 = 2;
/// The Non-Ext OP Type that marks the extended format
/// ([RFC 9072 §2](https://www.rfc-editor.org/rfc/rfc9072#section-2)).
pub const PARAM_EXTENDED_LENGTH: u8 = 255;

//----------- OptionalParameter -----------------------------------------------

/// One optional parameter of an OPEN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OptionalParameter {
    /// Capabilities (type 2, [RFC 5492](https://www.rfc-editor.org/rfc/rfc5492)),
    /// in the order received. A speaker may put all its capabilities in one
    /// parameter or each in its own; both are kept as sent.
    Capabilities(Vec<Capability>),
    /// Any other parameter type, kept verbatim. RFC 4271 §6.2 makes these an
    /// Unsupported Optional Parameter error; see
    /// [`OpenMessage::check_optional_parameters`].
    Unknown {
        /// The parameter type (never 2).
        ty: u8,
        /// The parameter value.
        data: Vec<u8>,
    },
}

impl OptionalParameter {
    /// The parameter type.
    pub fn ty(&self) -> u8 {
        match self {
            Self::Capabilities(_) => PARAM_CAPABILITIES,
            Self::Unknown { ty, .. } => *ty,
        }
    }

    /// The length of the parameter value on the wire.
    pub fn value_len(&self) -> usize {
        match self {
            Self::Capabilities(caps) => caps.iter().map(Capability::encoded_len).sum(),
            Self::Unknown { data, .. } => data.len(),
        }
    }

    fn emit_value(&self, out: &mut Vec<u8>) -> Result<(), CapabilityEncodeError> {
        match self {
            Self::Capabilities(caps) => caps.iter().try_for_each(|c| c.emit(out)),
            Self::Unknown { data, .. } => {
                out.extend_from_slice(data);
                Ok(())
            }
        }
    }
}

/// How [`OpenMessage::emit_with`] encodes the optional parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamEncoding {
    /// The [RFC 4271] encoding when it can carry the parameters, else the
    /// [RFC 9072] one ("SHOULD be used without alteration", RFC 9072 §2).
    ///
    /// [RFC 4271]: https://www.rfc-editor.org/rfc/rfc4271#section-4.2
    /// [RFC 9072]: https://www.rfc-editor.org/rfc/rfc9072#section-2
    #[default]
    Auto,
    /// Always the [RFC 9072] encoding, e.g. to test that a peer supports it.
    ///
    /// [RFC 9072]: https://www.rfc-editor.org/rfc/rfc9072#section-2
    Extended,
}

//----------- OpenMessage -----------------------------------------------------

/// An owned OPEN message.
///
/// `OpenMessage::parse(&wire[19..]) == Ok(m)` for the `wire` that
/// [`emit`](Self::emit) writes, whichever [`ParamEncoding`] is used (which
/// one was used is not part of the value).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OpenMessage {
    /// The protocol version; 4 ([`BGP_VERSION`]).
    pub version: u8,
    /// The 2-octet AS field: the speaker's AS, or [`AS_TRANS`] when that does
    /// not fit ([RFC 6793 §3](https://www.rfc-editor.org/rfc/rfc6793#section-3)).
    pub my_as: u16,
    /// The proposed hold time in seconds: 0 or at least 3.
    pub hold_time: u16,
    /// The BGP Identifier.
    pub bgp_id: Ipv4Addr,
    /// The optional parameters, in order.
    pub params: Vec<OptionalParameter>,
}

impl OpenMessage {
    /// A version-4 OPEN with all `capabilities` in one Capabilities parameter.
    ///
    /// `my_as` gets `asn`, or [`AS_TRANS`] when `asn` needs 4 octets. The
    /// capabilities are taken as given: include
    /// [`Capability::FourOctetAs`] for a 4-octet speaker (RFC 6793 §3).
    pub fn new(asn: u32, hold_time: u16, bgp_id: Ipv4Addr, capabilities: Vec<Capability>) -> Self {
        let my_as = u16::try_from(asn).unwrap_or(AS_TRANS_U16);
        let params = if capabilities.is_empty() {
            Vec::new()
        } else {
            vec![OptionalParameter::Capabilities(capabilities)]
        };
        Self {
            version: BGP_VERSION,
            my_as,
            hold_time,
            bgp_id,
            params,
        }
    }

    /// Decodes an OPEN body (the message without its 19-octet header).
    ///
    /// Checks every length and decodes every capability; unknown parameter
    /// types and unknown capabilities are kept. Does not check the values:
    /// see [`check`](Self::check).
    pub fn parse(body: &[u8]) -> Result<Self, OpenError> {
        let Some((fixed, rest)) = body.split_first_chunk::<OPEN_FIXED_LEN>() else {
            return Err(OpenError::TooShort { len: body.len() });
        };
        let [version, a0, a1, h0, h1, i0, i1, i2, i3, opt_len] = *fixed;
        let extended = opt_len != 0 && rest.first() == Some(&PARAM_EXTENDED_LENGTH);
        let params_bytes = if extended {
            // RFC 9072 §2: Non-Ext OP Len is ignored once the format is known.
            let Some((&[_, l0, l1], params)) = rest.split_first_chunk::<3>() else {
                return Err(OpenError::ExtendedLengthTruncated { left: rest.len() });
            };
            let declared = usize::from(u16::from_be_bytes([l0, l1]));
            if declared != params.len() {
                return Err(OpenError::ParametersLengthMismatch {
                    declared,
                    actual: params.len(),
                    extended,
                });
            }
            params
        } else {
            let declared = usize::from(opt_len);
            if declared != rest.len() {
                return Err(OpenError::ParametersLengthMismatch {
                    declared,
                    actual: rest.len(),
                    extended,
                });
            }
            rest
        };
        Ok(Self {
            version,
            my_as: u16::from_be_bytes([a0, a1]),
            hold_time: u16::from_be_bytes([h0, h1]),
            bgp_id: Ipv4Addr::new(i0, i1, i2, i3),
            params: parse_params(params_bytes, extended)?,
        })
    }

    /// All capabilities, across all Capabilities parameters, in order.
    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> {
        self.params.iter().flat_map(|p| match p {
            OptionalParameter::Capabilities(caps) => caps.as_slice(),
            OptionalParameter::Unknown { .. } => &[],
        })
    }

    /// The AS of the first 4-octet AS capability, if any.
    pub fn four_octet_as(&self) -> Option<u32> {
        self.capabilities().find_map(|c| match c {
            Capability::FourOctetAs(asn) => Some(*asn),
            _ => None,
        })
    }

    /// The speaker's AS: from the 4-octet AS capability when present
    /// ([RFC 6793 §4.1](https://www.rfc-editor.org/rfc/rfc6793#section-4.1)),
    /// else the 2-octet field.
    pub fn asn(&self) -> u32 {
        self.four_octet_as().unwrap_or(u32::from(self.my_as))
    }

    /// The whole message length with [`ParamEncoding::Auto`].
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_with(ParamEncoding::Auto)
    }

    /// The whole message length, header included, with the given encoding.
    pub fn encoded_len_with(&self, encoding: ParamEncoding) -> usize {
        let extended = self.uses_extended(encoding);
        let per_param = if extended { 3 } else { 2 };
        let params: usize = self.params.iter().map(|p| per_param + p.value_len()).sum();
        HEADER_LEN + OPEN_FIXED_LEN + if extended { 3 } else { 0 } + params
    }

    /// Appends the whole message, header included, with
    /// [`ParamEncoding::Auto`].
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), OpenEncodeError> {
        self.emit_with(out, ParamEncoding::Auto)
    }

    /// Appends the whole message, header included, with the given encoding.
    ///
    /// Fails, writing nothing, when a capability cannot be encoded or the
    /// message would exceed 4096 octets (the OPEN limit even with extended
    /// messages, [RFC 8654 §4](https://www.rfc-editor.org/rfc/rfc8654#section-4)).
    pub fn emit_with(
        &self,
        out: &mut Vec<u8>,
        encoding: ParamEncoding,
    ) -> Result<(), OpenEncodeError> {
        for cap in self.capabilities() {
            cap.check_encodable()?;
        }
        let len = self.encoded_len_with(encoding);
        if len > MAX_MESSAGE_LEN {
            return Err(OpenEncodeError::TooLong { len });
        }
        let len16 = u16::try_from(len).map_err(|_| OpenEncodeError::TooLong { len })?;
        let params_len = len - HEADER_LEN - OPEN_FIXED_LEN;
        let extended = self.uses_extended(encoding);

        let start = out.len();
        out.reserve(len);
        put_header(out, MessageType::OPEN, len16);
        out.push(self.version);
        out.extend_from_slice(&self.my_as.to_be_bytes());
        out.extend_from_slice(&self.hold_time.to_be_bytes());
        out.extend_from_slice(&self.bgp_id.octets());
        let result = self.emit_params(out, extended, params_len);
        if result.is_err() {
            out.truncate(start);
        }
        debug_assert!(result.is_err() || out.len() - start == len);
        result
    }

    /// Writes Opt Parm Len (or the extended marker and length) and the
    /// parameters. `params_len` counts the octets after Opt Parm Len, as
    /// [`encoded_len_with`](Self::encoded_len_with) computed them.
    fn emit_params(
        &self,
        out: &mut Vec<u8>,
        extended: bool,
        params_len: usize,
    ) -> Result<(), OpenEncodeError> {
        // Unreachable after the checks in `emit_with`; kept as errors, not panics.
        let too_long = || OpenEncodeError::TooLong {
            len: HEADER_LEN + OPEN_FIXED_LEN + params_len,
        };
        if extended {
            let ext_len = u16::try_from(params_len.saturating_sub(3)).map_err(|_| too_long())?;
            out.push(PARAM_EXTENDED_LENGTH);
            out.push(PARAM_EXTENDED_LENGTH);
            out.extend_from_slice(&ext_len.to_be_bytes());
        } else {
            out.push(u8::try_from(params_len).map_err(|_| too_long())?);
        }
        for p in &self.params {
            out.push(p.ty());
            let value_len = p.value_len();
            if extended {
                out.extend_from_slice(
                    &u16::try_from(value_len)
                        .map_err(|_| too_long())?
                        .to_be_bytes(),
                );
            } else {
                out.push(u8::try_from(value_len).map_err(|_| too_long())?);
            }
            p.emit_value(out)?;
        }
        Ok(())
    }

    /// Whether `encoding` produces the RFC 9072 format for these parameters.
    fn uses_extended(&self, encoding: ParamEncoding) -> bool {
        match encoding {
            ParamEncoding::Extended => true,
            ParamEncoding::Auto => {
                let plain: usize = self.params.iter().map(|p| 2 + p.value_len()).sum();
                // A first parameter of type 255 would read as the extended marker.
                plain > 255
                    || self
                        .params
                        .first()
                        .is_some_and(|p| p.ty() == PARAM_EXTENDED_LENGTH)
            }
        }
    }
}

/// # Semantic checks ([RFC 4271 §6.2](https://www.rfc-editor.org/rfc/rfc4271#section-6.2))
impl OpenMessage {
    /// Runs [`check_version`](Self::check_version),
    /// [`check_hold_time`](Self::check_hold_time),
    /// [`check_bgp_identifier`](Self::check_bgp_identifier) and
    /// [`check_optional_parameters`](Self::check_optional_parameters), in that
    /// order, and returns the first error.
    pub fn check(&self) -> Result<(), OpenError> {
        self.check_version()?;
        self.check_hold_time()?;
        self.check_bgp_identifier()?;
        self.check_optional_parameters()
    }

    /// The version must be 4; otherwise Unsupported Version Number (2/1).
    pub fn check_version(&self) -> Result<(), OpenError> {
        if self.version == BGP_VERSION {
            Ok(())
        } else {
            Err(OpenError::UnsupportedVersion(self.version))
        }
    }

    /// The hold time must be 0 or at least 3; otherwise Unacceptable Hold
    /// Time (2/6). A locally configured minimum is the FSM's business.
    pub fn check_hold_time(&self) -> Result<(), OpenError> {
        match self.hold_time {
            1 | 2 => Err(OpenError::UnacceptableHoldTime(self.hold_time)),
            _ => Ok(()),
        }
    }

    /// The BGP Identifier must not be 0
    /// ([RFC 6286 §2.2](https://www.rfc-editor.org/rfc/rfc6286#section-2.2):
    /// any other value is valid); otherwise Bad BGP Identifier (2/3). That it
    /// differs from the local one on iBGP is the FSM's check.
    pub fn check_bgp_identifier(&self) -> Result<(), OpenError> {
        if self.bgp_id.is_unspecified() {
            Err(OpenError::BadBgpIdentifier(self.bgp_id))
        } else {
            Ok(())
        }
    }

    /// Every optional parameter must be a Capabilities parameter; otherwise
    /// Unsupported Optional Parameter (2/4) for the first other type.
    pub fn check_optional_parameters(&self) -> Result<(), OpenError> {
        match self.params.iter().find_map(|p| match p {
            OptionalParameter::Unknown { ty, .. } => Some(*ty),
            OptionalParameter::Capabilities(_) => None,
        }) {
            Some(ty) => Err(OpenError::UnsupportedOptionalParameter(ty)),
            None => Ok(()),
        }
    }
}

/// Decodes the optional parameters: 1-octet type, then a 1-octet length, or
/// a 2-octet one in the extended format.
fn parse_params(mut rest: &[u8], extended: bool) -> Result<Vec<OptionalParameter>, OpenError> {
    let mut params = Vec::new();
    while !rest.is_empty() {
        let header = if extended {
            rest.split_first_chunk::<3>().map(|(&[ty, l0, l1], after)| {
                (ty, usize::from(u16::from_be_bytes([l0, l1])), after)
            })
        } else {
            rest.split_first_chunk::<2>()
                .map(|(&[ty, len], after)| (ty, usize::from(len), after))
        };
        let Some((ty, len, after)) = header else {
            return Err(OpenError::ParameterHeaderTruncated {
                left: rest.len(),
                extended,
            });
        };
        let Some((value, after)) = after.split_at_checked(len) else {
            return Err(OpenError::ParameterOverrun {
                ty,
                len,
                left: after.len(),
                extended,
            });
        };
        params.push(if ty == PARAM_CAPABILITIES {
            OptionalParameter::Capabilities(parse_capabilities(value)?)
        } else {
            OptionalParameter::Unknown {
                ty,
                data: value.to_vec(),
            }
        });
        rest = after;
    }
    Ok(params)
}

/// Builds only encodable values: capabilities from their own `Arbitrary`,
/// unknown parameters of a type other than 2, and at most 4096 octets.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for OptionalParameter {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.arbitrary()? {
            let n = u.int_in_range(0..=8)?;
            let caps = (0..n)
                .map(|_| u.arbitrary())
                .collect::<arbitrary::Result<_>>()?;
            Ok(Self::Capabilities(caps))
        } else {
            let ty = match u.arbitrary::<u8>()? {
                PARAM_CAPABILITIES => 0,
                ty => ty,
            };
            let n = u.int_in_range(0..=300)?;
            Ok(Self::Unknown {
                ty,
                data: u.bytes(n)?.to_vec(),
            })
        }
    }
}

/// See [`OptionalParameter`]'s impl; parameters are dropped from the end
/// until the message fits 4096 octets.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for OpenMessage {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut m = Self {
            version: u.arbitrary()?,
            my_as: u.arbitrary()?,
            hold_time: u.arbitrary()?,
            bgp_id: u.arbitrary()?,
            params: Vec::new(),
        };
        let n = u.int_in_range(0..=6)?;
        for _ in 0..n {
            m.params.push(u.arbitrary()?);
        }
        while m.encoded_len_with(ParamEncoding::Extended) > MAX_MESSAGE_LEN {
            m.params.pop();
        }
        Ok(m)
    }
}

//----------- Errors ----------------------------------------------------------

/// An OPEN that is malformed or, from the semantic checks, unacceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The body is shorter than the 10 fixed octets (2/0).
    #[error("OPEN body of {len} octet(s) is shorter than 10")]
    TooShort {
        /// The body length.
        len: usize,
    },
    /// The (extended) optional parameters length disagrees with the octets
    /// that follow it: the message ends early or has trailing octets (2/0).
    #[error(
        "optional parameters length {declared} but {actual} octet(s) follow (extended: {extended})"
    )]
    ParametersLengthMismatch {
        /// The length field.
        declared: usize,
        /// The octets after it.
        actual: usize,
        /// Whether the RFC 9072 format was in use.
        extended: bool,
    },
    /// The RFC 9072 marker is there but its 2-octet length is not (2/0).
    #[error(
        "extended optional parameters length truncated: {left} octet(s) after the length octet"
    )]
    ExtendedLengthTruncated {
        /// The octets after Opt Parm Len.
        left: usize,
    },
    /// Fewer octets remain than a parameter header needs (2/0).
    #[error("optional parameter header truncated: {left} octet(s) left (extended: {extended})")]
    ParameterHeaderTruncated {
        /// The octets left.
        left: usize,
        /// Whether the RFC 9072 format (3-octet headers) was in use.
        extended: bool,
    },
    /// A parameter length runs past the end of the parameters (2/0).
    #[error(
        "optional parameter type {ty} length {len} overruns the parameters ({left} octet(s) left)"
    )]
    ParameterOverrun {
        /// The parameter type.
        ty: u8,
        /// The parameter length field.
        len: usize,
        /// The octets left after the parameter header.
        left: usize,
        /// Whether the RFC 9072 format was in use.
        extended: bool,
    },
    /// A Capabilities parameter is malformed: a capability overruns it, or a
    /// known capability has a malformed value (2/0).
    #[error(transparent)]
    Capability(#[from] CapabilityError),
    /// The version is not 4 (2/1).
    #[error("unsupported BGP version {0}")]
    UnsupportedVersion(u8),
    /// The hold time is 1 or 2 seconds (2/6).
    #[error("unacceptable hold time {0}")]
    UnacceptableHoldTime(u16),
    /// The BGP Identifier is 0.0.0.0 (2/3).
    #[error("bad BGP identifier {0}")]
    BadBgpIdentifier(Ipv4Addr),
    /// An optional parameter other than Capabilities (2/4).
    #[error("unsupported optional parameter type {0}")]
    UnsupportedOptionalParameter(u8),
}

impl OpenError {
    /// The NOTIFICATION to send ([RFC 4271 §6.2](https://www.rfc-editor.org/rfc/rfc4271#section-6.2)).
    ///
    /// Structural errors (including malformed capabilities) are OPEN Message
    /// Error / Unspecific (2/0) without data. Unsupported Version Number
    /// carries the largest supported version, 4, as 2 octets.
    pub fn notification(&self) -> Notification {
        let (sub, data) = match self {
            Self::TooShort { .. }
            | Self::ParametersLengthMismatch { .. }
            | Self::ExtendedLengthTruncated { .. }
            | Self::ParameterHeaderTruncated { .. }
            | Self::ParameterOverrun { .. }
            | Self::Capability(_) => (0, Vec::new()),
            Self::UnsupportedVersion(_) => (
                subcode::Open::UNSUPPORTED_VERSION.0,
                u16::from(BGP_VERSION).to_be_bytes().to_vec(),
            ),
            Self::UnacceptableHoldTime(_) => (subcode::Open::UNACCEPTABLE_HOLD_TIME.0, Vec::new()),
            Self::BadBgpIdentifier(_) => (subcode::Open::BAD_BGP_IDENTIFIER.0, Vec::new()),
            Self::UnsupportedOptionalParameter(_) => {
                (subcode::Open::UNSUPPORTED_OPTIONAL_PARAMETER.0, Vec::new())
            }
        };
        Notification::new(ErrorCode::OPEN_MESSAGE, sub, data)
    }
}

/// An OPEN that cannot be encoded (a caller mistake).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenEncodeError {
    /// The message would exceed 4096 octets.
    #[error("OPEN of {len} octets exceeds 4096")]
    TooLong {
        /// The message length, header included.
        len: usize,
    },
    /// A capability cannot be encoded.
    #[error(transparent)]
    Capability(#[from] CapabilityEncodeError),
}

#[cfg(test)]
mod tests {
    use arbitrary::{Arbitrary, Unstructured};
    use proptest::prelude::*;

    use super::*;
    use crate::capability::{AddPathMode, GrFamily, LlgrFamily};
    use crate::codepoint::CapabilityCode;
    use crate::header::{MARKER, frame};
    use crate::types::Family;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// An OPEN laid out as FRR sends it: one capability per parameter,
    /// AS 65002, hold time 90, identifier 10.0.0.1, host name "donatas-pc".
    const FRR_OPEN: &str = "
        ffffffffffffffffffffffffffffffff 006e 01
        04 fdea 005a 0a000001 51
        02 06 01 04 0001 00 01
        02 06 01 04 0002 00 01
        02 02 80 00
        02 02 02 00
        02 02 46 00
        02 06 41 04 0000fdea
        02 02 06 00
        02 06 45 04 0001 01 01
        02 0e 49 0c 0a 646f6e617461732d7063 00
        02 04 40 02 4078
        02 09 47 07 0001 01 00 000e10";

    fn body_with_params(opt_len: u8, params: &[u8]) -> Vec<u8> {
        let mut b = vec![4, 0xfd, 0xea, 0, 90, 10, 0, 0, 1, opt_len];
        b.extend_from_slice(params);
        b
    }

    fn extended_body(params: &[u8]) -> Vec<u8> {
        let mut b = body_with_params(255, &[255]);
        b.extend_from_slice(&u16::try_from(params.len()).unwrap().to_be_bytes());
        b.extend_from_slice(params);
        b
    }

    fn assert_unspecific(r: Result<OpenMessage, OpenError>) -> OpenError {
        let err = r.expect_err("malformed OPEN");
        let n = err.notification();
        assert_eq!(
            (n.code, n.subcode, n.data.len()),
            (ErrorCode::OPEN_MESSAGE, 0, 0),
            "{err}"
        );
        err
    }

    #[test]
    fn frr_open() {
        let wire = hex(FRR_OPEN);
        assert_eq!(
            frame(&wire, MAX_MESSAGE_LEN).unwrap().unwrap().len,
            wire.len()
        );
        let open = OpenMessage::parse(&wire[HEADER_LEN..]).unwrap();
        assert_eq!(open.version, 4);
        assert_eq!(open.my_as, 65002);
        assert_eq!(open.hold_time, 90);
        assert_eq!(open.bgp_id, Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(open.params.len(), 11);
        assert_eq!(open.four_octet_as(), Some(65002));
        assert_eq!(open.asn(), 65002);
        let caps: Vec<_> = open.capabilities().cloned().collect();
        assert_eq!(
            caps,
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::Multiprotocol(Family::IPV6_UNICAST),
                Capability::Unknown {
                    code: CapabilityCode::ROUTE_REFRESH_CISCO,
                    data: vec![]
                },
                Capability::RouteRefresh,
                Capability::EnhancedRouteRefresh,
                Capability::FourOctetAs(65002),
                Capability::ExtendedMessage,
                Capability::AddPath(vec![(Family::IPV4_UNICAST, AddPathMode::RECEIVE)]),
                Capability::fqdn("donatas-pc", ""),
                Capability::GracefulRestart {
                    restart_state: false,
                    notification: true,
                    restart_time: 120,
                    families: vec![],
                },
                Capability::LongLivedGr(vec![LlgrFamily {
                    family: Family::IPV4_UNICAST,
                    forwarding: false,
                    stale_time: 3600,
                }]),
            ]
        );
        assert_eq!(open.check(), Ok(()));
        let mut out = vec![];
        open.emit(&mut out).unwrap();
        assert_eq!(out, wire);
        assert_eq!(open.encoded_len(), wire.len());
    }

    #[test]
    fn extended_format_round_trip() {
        let open = OpenMessage::new(
            4_200_000_000,
            180,
            Ipv4Addr::new(192, 0, 2, 1),
            vec![
                Capability::FourOctetAs(4_200_000_000),
                Capability::GracefulRestart {
                    restart_state: true,
                    notification: false,
                    restart_time: 300,
                    families: vec![GrFamily {
                        family: Family::IPV6_UNICAST,
                        forwarding: true,
                    }],
                },
            ],
        );
        assert_eq!(open.my_as, 23456);
        assert_eq!(open.asn(), 4_200_000_000);
        // Forced extended: 255 255 <len16>, then 3-octet parameter headers.
        let mut out = vec![];
        open.emit_with(&mut out, ParamEncoding::Extended).unwrap();
        assert_eq!(out.len(), open.encoded_len_with(ParamEncoding::Extended));
        let cap_len = 6 + 8;
        assert_eq!(out[28..32], [255, 255, 0, 3 + cap_len]);
        assert_eq!(out[32..35], [2, 0, cap_len]);
        assert_eq!(OpenMessage::parse(&out[HEADER_LEN..]), Ok(open.clone()));
        // Auto picks the plain format for something this small.
        let mut plain = vec![];
        open.emit(&mut plain).unwrap();
        assert_eq!(plain.len() + 4, out.len());
        assert_eq!(OpenMessage::parse(&plain[HEADER_LEN..]), Ok(open));
    }

    #[test]
    fn auto_switches_to_extended_above_255() {
        // 60 ADD-PATH-less MP capabilities: 60 * 6 = 360 octets in one parameter.
        let caps = (0..60u16)
            .map(|i| Capability::Multiprotocol(Family::new(crate::Afi(i), crate::Safi(1))))
            .collect();
        let open = OpenMessage::new(65001, 90, Ipv4Addr::new(1, 1, 1, 1), caps);
        let mut out = vec![];
        open.emit(&mut out).unwrap();
        assert_eq!(out[28..30], [255, 255]);
        assert_eq!(OpenMessage::parse(&out[HEADER_LEN..]), Ok(open));
        // A first parameter of type 255 forces it too.
        let odd = OpenMessage {
            params: vec![OptionalParameter::Unknown {
                ty: 255,
                data: vec![1],
            }],
            ..OpenMessage::new(1, 0, Ipv4Addr::new(1, 1, 1, 1), vec![])
        };
        let mut out = vec![];
        odd.emit(&mut out).unwrap();
        assert_eq!(out[28..35], [255, 255, 0, 4, 255, 0, 1]);
        assert_eq!(OpenMessage::parse(&out[HEADER_LEN..]), Ok(odd));
    }

    #[test]
    fn encode_errors_write_nothing() {
        let mut out = vec![0xa5];
        let big = OpenMessage {
            params: vec![OptionalParameter::Unknown {
                ty: 9,
                data: vec![0; 4096],
            }],
            ..OpenMessage::new(1, 0, Ipv4Addr::new(1, 1, 1, 1), vec![])
        };
        assert!(matches!(
            big.emit(&mut out),
            Err(OpenEncodeError::TooLong { .. })
        ));
        let bad_cap = OpenMessage::new(
            1,
            0,
            Ipv4Addr::new(1, 1, 1, 1),
            vec![Capability::Unknown {
                code: CapabilityCode(200),
                data: vec![0; 300],
            }],
        );
        assert!(matches!(
            bad_cap.emit(&mut out),
            Err(OpenEncodeError::Capability(_))
        ));
        assert_eq!(out, [0xa5]);
        // Exactly 4096 is fine: 29 + 3 + 3 + 4061.
        let max = OpenMessage {
            params: vec![OptionalParameter::Unknown {
                ty: 9,
                data: vec![0; 4061],
            }],
            ..OpenMessage::new(1, 0, Ipv4Addr::new(1, 1, 1, 1), vec![])
        };
        assert_eq!(max.encoded_len(), 4096);
        let mut out = vec![];
        max.emit(&mut out).unwrap();
        assert_eq!(frame(&out, MAX_MESSAGE_LEN).unwrap().unwrap().len, 4096);
    }

    #[test]
    fn semantic_checks() {
        let good = OpenMessage::new(65001, 90, Ipv4Addr::new(1, 1, 1, 1), vec![]);
        assert_eq!(good.check(), Ok(()));
        let v3 = OpenMessage {
            version: 3,
            ..good.clone()
        };
        let err = v3.check().unwrap_err();
        assert_eq!(err, OpenError::UnsupportedVersion(3));
        let n = err.notification();
        assert_eq!(
            (n.code, n.subcode, n.data),
            (ErrorCode::OPEN_MESSAGE, 1, vec![0, 4])
        );
        for hold in [1, 2] {
            let err = OpenMessage {
                hold_time: hold,
                ..good.clone()
            }
            .check()
            .unwrap_err();
            assert_eq!(err.notification().subcode, 6);
        }
        for hold in [0, 3, 65535] {
            assert_eq!(
                OpenMessage {
                    hold_time: hold,
                    ..good.clone()
                }
                .check_hold_time(),
                Ok(())
            );
        }
        let zero = OpenMessage {
            bgp_id: Ipv4Addr::UNSPECIFIED,
            ..good.clone()
        };
        assert_eq!(zero.check().unwrap_err().notification().subcode, 3);
        // RFC 6286: any nonzero identifier, even a multicast one, is fine.
        let odd = OpenMessage {
            bgp_id: Ipv4Addr::new(224, 0, 0, 1),
            ..good.clone()
        };
        assert_eq!(odd.check(), Ok(()));
        // Unknown parameter types are kept by parse and refused by the check.
        let body = body_with_params(3, &[1, 1, 0]);
        let open = OpenMessage::parse(&body).unwrap();
        assert_eq!(
            open.params,
            vec![OptionalParameter::Unknown {
                ty: 1,
                data: vec![0]
            }]
        );
        let err = open.check().unwrap_err();
        assert_eq!(err, OpenError::UnsupportedOptionalParameter(1));
        assert_eq!(err.notification().subcode, 4);
    }

    #[test]
    fn structural_errors() {
        // Shorter than the fixed part.
        assert_unspecific(OpenMessage::parse(&[4, 0, 1, 0, 90, 1, 1, 1]));
        // Trailing octets after the parameters.
        assert_unspecific(OpenMessage::parse(&body_with_params(0, &[0])));
        // Empty Capabilities parameter is fine; an empty OPEN too.
        assert_eq!(
            OpenMessage::parse(&body_with_params(2, &[2, 0]))
                .unwrap()
                .params,
            vec![OptionalParameter::Capabilities(vec![])]
        );
        assert!(
            OpenMessage::parse(&body_with_params(0, &[]))
                .unwrap()
                .params
                .is_empty()
        );
        // A malformed known capability inside a well-formed parameter.
        let err = assert_unspecific(OpenMessage::parse(&body_with_params(
            6,
            &[2, 4, 65, 2, 0, 1],
        )));
        assert!(matches!(
            err,
            OpenError::Capability(CapabilityError::Malformed { .. })
        ));
        // Extended format with zero parameters.
        let open = OpenMessage::parse(&extended_body(&[])).unwrap();
        assert!(open.params.is_empty());
        // Extended length disagreeing with the octets present.
        let mut b = extended_body(&[2, 0, 2, 2, 0]);
        b.push(0);
        assert_unspecific(OpenMessage::parse(&b));
        b.truncate(b.len() - 2);
        assert_unspecific(OpenMessage::parse(&b));
    }

    /// CVE-2022-40302: FRR bgpd (through 8.4) walked the OPEN optional
    /// parameters checking that 2 octets (type, 1-octet length) remained, but
    /// with the RFC 9072 extended format (option type 0xff) it read 3 (type,
    /// 2-octet length), so a crafted OPEN made it read past the end of the
    /// packet or hit an assertion. Here an extended-format OPEN ends inside a
    /// 3-octet parameter header, carries a 2-octet parameter length that
    /// overruns, or stops right after the 0xff marker.
    #[test]
    fn cve_2022_40302_extended_parameter_header_overrun() {
        for tail in [&[2u8][..], &[2, 0]] {
            let err = assert_unspecific(OpenMessage::parse(&extended_body(tail)));
            assert_eq!(
                err,
                OpenError::ParameterHeaderTruncated {
                    left: tail.len(),
                    extended: true
                }
            );
        }
        // A 2-octet parameter length of 0x0100 with 2 octets behind it.
        let err = assert_unspecific(OpenMessage::parse(&extended_body(&[2, 1, 0, 2, 0])));
        assert_eq!(
            err,
            OpenError::ParameterOverrun {
                ty: 2,
                len: 256,
                left: 2,
                extended: true
            }
        );
        // The marker without its 2-octet extended length.
        for rest in [&[255u8][..], &[255, 0]] {
            let err = assert_unspecific(OpenMessage::parse(&body_with_params(255, rest)));
            assert_eq!(err, OpenError::ExtendedLengthTruncated { left: rest.len() });
        }
    }

    /// CVE-2022-40318: the same inconsistent bounds check (2 octets checked,
    /// 3 read for option type 0xff) at a second place in FRR bgpd's (through
    /// 8.4) OPEN option handling, with a different attack vector. The lesson
    /// is that every walk over the options and the capabilities inside them
    /// must bound each length by what is left of its enclosing field: here a
    /// capability length runs past its parameter, in the plain and the
    /// extended format, a capability header is cut by the end of its
    /// parameter, and a parameter length runs past the message.
    #[test]
    fn cve_2022_40318_capability_overruns_parameter() {
        // Plain: parameter of 4 octets holding a 4-octet-AS capability that
        // claims 4 octets of value with 2 present.
        let params = [2, 4, 65, 4, 0, 1, 2, 2, 2, 0];
        let err = assert_unspecific(OpenMessage::parse(&body_with_params(10, &params)));
        assert_eq!(
            err,
            OpenError::Capability(CapabilityError::Overrun {
                code: CapabilityCode::FOUR_OCTET_AS,
                len: 4,
                left: 2
            })
        );
        // The same in the extended format.
        let err = assert_unspecific(OpenMessage::parse(&extended_body(&[2, 0, 4, 65, 4, 0, 1])));
        assert!(matches!(
            err,
            OpenError::Capability(CapabilityError::Overrun { .. })
        ));
        // A capability header cut in half by the end of its parameter.
        let err = assert_unspecific(OpenMessage::parse(&body_with_params(5, &[2, 3, 2, 0, 65])));
        assert_eq!(
            err,
            OpenError::Capability(CapabilityError::TruncatedHeader { left: 1 })
        );
        // A plain parameter length running past the message.
        let err = assert_unspecific(OpenMessage::parse(&body_with_params(4, &[2, 6, 65, 4])));
        assert_eq!(
            err,
            OpenError::ParameterOverrun {
                ty: 2,
                len: 6,
                left: 2,
                extended: false
            }
        );
    }

    /// CVE-2022-43681: FRR bgpd (through 8.4) read out of bounds on an OPEN
    /// that ends right after an option length octet (or the 2-octet option
    /// length of the extended format), which threw off its length accounting
    /// on the way to sending the NOTIFICATION (`bgp_notify_send_with_data`).
    /// Every such truncation point must give 2/0 without reading further:
    /// after Opt Parm Len, after a parameter length, after the extended
    /// length, after an extended parameter length, after a capability length.
    #[test]
    fn cve_2022_43681_open_ends_after_length() {
        // Ends right after Opt Parm Len, which promises 255 or 8 octets.
        for opt_len in [255, 8, 1] {
            let err = assert_unspecific(OpenMessage::parse(&body_with_params(opt_len, &[])));
            assert_eq!(
                err,
                OpenError::ParametersLengthMismatch {
                    declared: usize::from(opt_len),
                    actual: 0,
                    extended: false
                }
            );
        }
        // Ends right after a parameter's length octet.
        let err = assert_unspecific(OpenMessage::parse(&body_with_params(2, &[2, 6])));
        assert_eq!(
            err,
            OpenError::ParameterOverrun {
                ty: 2,
                len: 6,
                left: 0,
                extended: false
            }
        );
        // Extended: ends right after the 2-octet extended length (which
        // promises more), or right after a 2-octet parameter length.
        let mut b = body_with_params(255, &[255, 0, 9]);
        let err = assert_unspecific(OpenMessage::parse(&b));
        assert_eq!(
            err,
            OpenError::ParametersLengthMismatch {
                declared: 9,
                actual: 0,
                extended: true
            }
        );
        b = extended_body(&[2, 0, 6]);
        let err = assert_unspecific(OpenMessage::parse(&b));
        assert_eq!(
            err,
            OpenError::ParameterOverrun {
                ty: 2,
                len: 6,
                left: 0,
                extended: true
            }
        );
        // Ends right after a capability length octet.
        let err = assert_unspecific(OpenMessage::parse(&body_with_params(4, &[2, 2, 65, 4])));
        assert!(matches!(
            err,
            OpenError::Capability(CapabilityError::Overrun { left: 0, .. })
        ));
    }

    #[test]
    fn whole_message_through_frame() {
        let open = OpenMessage::new(
            65001,
            90,
            Ipv4Addr::new(1, 2, 3, 4),
            vec![Capability::RouteRefresh],
        );
        let mut out = vec![];
        open.emit(&mut out).unwrap();
        assert_eq!(out[..16], MARKER);
        assert_eq!(
            out,
            hex("ffffffffffffffffffffffffffffffff 0021 01 04 fde9 005a 01020304 04 02 02 02 00")
        );
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..2048), forced: bool) {
            let mut u = Unstructured::new(&bytes);
            if let Ok(open) = OpenMessage::arbitrary(&mut u) {
                let encoding = if forced { ParamEncoding::Extended } else { ParamEncoding::Auto };
                let mut wire = vec![];
                open.emit_with(&mut wire, encoding).unwrap();
                prop_assert_eq!(wire.len(), open.encoded_len_with(encoding));
                let f = frame(&wire, MAX_MESSAGE_LEN).unwrap().unwrap();
                prop_assert_eq!(f.len, wire.len());
                prop_assert_eq!(OpenMessage::parse(&wire[HEADER_LEN..]), Ok(open));
            }
        }

        #[test]
        fn parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Err(e) = OpenMessage::parse(&body) {
                prop_assert_eq!(e.notification().code, ErrorCode::OPEN_MESSAGE);
            }
        }

        #[test]
        fn parse_never_panics_on_structured_input(
            opt_len: u8,
            marker: bool,
            params in proptest::collection::vec(
                (any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..20)),
                0..6,
            ),
        ) {
            // Mostly well-formed parameter and capability headers with
            // random lengths, to reach the inner loops more often.
            let mut b = vec![4, 0, 1, 0, 90, 1, 1, 1, 1, opt_len];
            if marker {
                b.extend_from_slice(&[255, 0, opt_len]);
            }
            for (ty, len, value) in params {
                b.extend_from_slice(&[ty, len]);
                b.extend_from_slice(&value);
            }
            let _ = OpenMessage::parse(&b);
        }
    }
}
