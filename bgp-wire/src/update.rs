//! UPDATE messages ([RFC 4271 §4.3](https://www.rfc-editor.org/rfc/rfc4271#section-4.3))
//! with the error handling of [RFC 7606](https://www.rfc-editor.org/rfc/rfc7606).
//!
//! [`Update::parse`] validates an UPDATE body in one pass and returns a view
//! whose accessors and iterators cannot fail. A malformed UPDATE that RFC
//! 7606 lets the session survive still yields a view; [`Update::action`]
//! says what to do with it and [`Update::error`] why. Only errors that
//! require a session reset make `parse` return `Err`.
//!
//! [`UpdateMessage`] is the owned form and [`UpdateBuilder`] packs routes into
//! as few UPDATEs as the negotiated maximum size allows.

use smallvec::SmallVec;

use crate::attr::{
    self, Aggregator, Aigp, AsPath, AsPathBuf, Attribute, ClusterList, Communities, ExtCommunities,
    Ipv6ExtCommunities, LargeCommunities, MpReach, MpUnreach, NextHop, Origin, PathAttribute,
    RawAttr,
};
use crate::codepoint::{AttrType, MessageType};
use crate::context::SessionContext;
use crate::error::{Action, UpdateError, UpdateErrorKind};
use crate::header::{HEADER_LEN, put_header};
use crate::nlri::{self, Prefixes};
use crate::types::{AS_TRANS, Family, Nlri};

/// Slot index of the attribute types the view records, for O(1) access.
#[inline]
const fn slot(ty: u8) -> Option<usize> {
    Some(match ty {
        1..=10 => ty as usize - 1,
        16 => 10,
        17 => 11,
        18 => 12,
        25 => 13,
        26 => 14,
        32 => 15,
        35 => 16,
        14 => 17,
        15 => 18,
        _ => return None,
    })
}
const SLOTS: usize = 19;

/// What the validation loop needs to know about an attribute type, read
/// with one table lookup per attribute.
#[derive(Clone, Copy)]
struct TypeInfo {
    /// Slot index, or `NO_SLOT`.
    slot: u8,
    /// The Optional and Transitive bits the type must carry, or
    /// `UNCHECKED_KNOWN` / `UNCHECKED_UNKNOWN` for types whose flags are
    /// not checked.
    flags: u8,
}
const NO_SLOT: u8 = u8::MAX;
const UNCHECKED_KNOWN: u8 = 1;
const UNCHECKED_UNKNOWN: u8 = 2;

static TYPE_INFO: [TypeInfo; 256] = {
    let mut t = [TypeInfo {
        slot: NO_SLOT,
        flags: UNCHECKED_UNKNOWN,
    }; 256];
    let mut i = 0;
    while i < 256 {
        let ty = AttrType(i as u8);
        t[i] = TypeInfo {
            slot: match slot(i as u8) {
                Some(s) => s as u8,
                None => NO_SLOT,
            },
            flags: match attr::expected_flags(ty) {
                Some(f) => f,
                None if ty.is_known() => UNCHECKED_KNOWN,
                None => UNCHECKED_UNKNOWN,
            },
        };
        i += 1;
    }
    t
};

/// A validated UPDATE message body (the bytes after the 19-octet header).
///
/// Holds the body and the offsets of its sections and attributes (about 100
/// octets, cheap to move); it allocates only for an UPDATE with duplicate or
/// discarded attributes to hide.
#[derive(Clone, Debug)]
pub struct Update<'a> {
    body: &'a [u8],
    /// The Withdrawn Routes field is `body[withdrawn.0..withdrawn.1]`.
    withdrawn: (u16, u16),
    /// The attribute list is `body[attrs.0..attrs.1]`; the NLRI field follows.
    attrs: (u16, u16),
    /// Offset + 1 of each recorded attribute within the attribute list (0: absent).
    slots: [u16; SLOTS],
    /// `FOUR_OCTET`, `ADD_PATH_V4`, `MP_REACH_ADD_PATH`, `MP_UNREACH_ADD_PATH`.
    flags: u8,
    /// The family of an MRT RIB entry (abbreviated MP_REACH_NLRI).
    rib: Option<Family>,
    /// Offsets of attributes not to show: duplicates and discarded ones.
    hidden: Option<Box<[u16]>>,
    /// The most severe error and its data, as offsets into the attribute list.
    error: Option<(UpdateErrorKind, u16, u16)>,
}

/// What [`Update::split_body`] finds: the Withdrawn Routes field, the NLRI
/// field, and the offsets in the body where the first and the attribute
/// list start and end.
type BodySplit<'a> = (&'a [u8], &'a [u8], (u16, u16), (u16, u16));

const FOUR_OCTET: u8 = 1;
const ADD_PATH_V4: u8 = 2;
const MP_REACH_ADD_PATH: u8 = 4;
const MP_UNREACH_ADD_PATH: u8 = 8;

/// The largest body or attribute list a view addresses with 16-bit offsets
/// (every BGP message fits).
const MAX_BODY: usize = u16::MAX as usize;

/// Checks an attribute's Optional and Transitive bits against what its type
/// requires (`expected`, from [`TYPE_INFO`]).
#[inline]
fn check_flags(raw: RawAttr<'_>, expected: u8) -> Result<(), UpdateErrorKind> {
    let ot = raw.flags.0 & (attr::AttrFlags::OPTIONAL | attr::AttrFlags::TRANSITIVE);
    match expected {
        UNCHECKED_KNOWN => Ok(()),
        UNCHECKED_UNKNOWN if !raw.flags.optional() => {
            Err(UpdateErrorKind::UnrecognizedWellKnown(raw.ty))
        }
        UNCHECKED_UNKNOWN => Ok(()),
        f if ot != f => Err(UpdateErrorKind::Flags(raw.ty)),
        _ => Ok(()),
    }
}

impl<'a> Update<'a> {
    /// Validates an UPDATE body under the session context `ctx`.
    ///
    /// `Err` only for errors whose RFC 7606 action is a session reset; any
    /// lesser error is reported by [`Update::error`] on the returned view.
    /// When several errors apply, the most severe is reported (§3 (f)).
    #[inline]
    pub fn parse(body: &'a [u8], ctx: &SessionContext) -> Result<Self, UpdateError<'a>> {
        let (withdrawn, nlri, withdrawn_at, attrs_at) = Self::split_body(body)?;
        Self::check_fields(withdrawn, nlri, ctx.add_path(Family::IPV4_UNICAST))?;
        Self::parse_sections(body, withdrawn_at, attrs_at, ctx, None)
    }

    /// Validates an UPDATE body as [`Update::parse`] does, handing `visitor`
    /// each part as soon as it is validated, and returns the verdict instead
    /// of a view: one pass over the message for a caller that reads all of
    /// it into something of its own, where `parse` and then the view's
    /// iterators would be two.
    ///
    /// In this order: the entries of the Withdrawn Routes field and of the
    /// NLRI field (when the visitor wants them, see
    /// [`UpdateVisitor::PREFIXES`]), then each attribute that
    /// [`Update::attributes`] would show, typed, in wire order (duplicates
    /// and malformed attributes are not shown).
    ///
    /// The verdict is what `parse` gives: `Err` for a session reset, else
    /// the error that [`Update::error`] would report (`None` when the UPDATE
    /// is well formed), whose [`UpdateError::action`] says what to do with
    /// the routes. It comes at the end and applies to everything seen: with
    /// an `Err` (a malformed prefix field, a later attribute), or with
    /// treat-as-withdraw (such as a missing mandatory attribute), the
    /// visitor has already seen parts of an UPDATE that is not to be used as
    /// it stands, so a caller checks the verdict before acting on them, as
    /// with any streaming decoder.
    ///
    /// ```
    /// use bgp_wire::attr::Attribute;
    /// use bgp_wire::{Nlri, SessionContext, Update, UpdateVisitor};
    /// use std::net::Ipv4Addr;
    ///
    /// #[derive(Default)]
    /// struct Routes {
    ///     next_hop: Option<Ipv4Addr>,
    ///     announced: Vec<String>,
    /// }
    ///
    /// impl<'a> UpdateVisitor<'a> for Routes {
    ///     const PREFIXES: bool = true;
    ///     fn attribute(&mut self, attr: Attribute<'a>) {
    ///         if let Attribute::NextHop(a) = attr {
    ///             self.next_hop = Some(a);
    ///         }
    ///     }
    ///     fn announced(&mut self, nlri: Nlri) {
    ///         self.announced.push(nlri.to_string());
    ///     }
    /// }
    ///
    /// // ORIGIN IGP, AS_PATH 65001, NEXT_HOP 192.0.2.1; NLRI 10.0.1.0/24.
    /// let body = [
    ///     0, 0, 0, 20, 0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9, //
    ///     0x40, 3, 4, 192, 0, 2, 1, 24, 10, 0, 1,
    /// ];
    /// let mut routes = Routes::default();
    /// let verdict = Update::visit(&body, &SessionContext::default(), &mut routes);
    /// assert_eq!(verdict, Ok(None)); // well formed: use what was seen
    /// assert_eq!(routes.next_hop, Some(Ipv4Addr::new(192, 0, 2, 1)));
    /// assert_eq!(routes.announced, ["10.0.1.0/24"]);
    /// ```
    #[inline]
    pub fn visit<V: UpdateVisitor<'a>>(
        body: &'a [u8],
        ctx: &SessionContext,
        visitor: &mut V,
    ) -> Result<Option<UpdateError<'a>>, UpdateError<'a>> {
        let (withdrawn, nlri, withdrawn_at, attrs_at) = Self::split_body(body)?;
        let ap4 = ctx.add_path(Family::IPV4_UNICAST);
        if V::PREFIXES {
            let reset = |kind| UpdateError { kind, data: &[] };
            if !nlri::visit_v4(withdrawn, ap4, &mut Withdrawn(visitor)) {
                return Err(reset(UpdateErrorKind::WithdrawnSyntax));
            }
            if !nlri::visit_v4(nlri, ap4, &mut Announced(visitor)) {
                return Err(reset(UpdateErrorKind::NlriSyntax));
            }
        } else {
            Self::check_fields(withdrawn, nlri, ap4)?;
        }
        Self::visit_sections(body, withdrawn_at, attrs_at, ctx, visitor)
    }

    /// The Withdrawn Routes field, the NLRI field, and the spans of the
    /// Withdrawn Routes field and the attribute list of an UPDATE body, from
    /// its two length fields.
    #[inline(always)]
    fn split_body(body: &'a [u8]) -> Result<BodySplit<'a>, UpdateError<'a>> {
        let reset = |kind| UpdateError { kind, data: &[] };
        if body.len() > MAX_BODY {
            return Err(reset(UpdateErrorKind::AttributeListLength));
        }
        let Some((wl, rest)) = body.split_first_chunk::<2>() else {
            return Err(reset(UpdateErrorKind::WithdrawnLength));
        };
        let wlen = usize::from(u16::from_be_bytes(*wl));
        let Some((withdrawn, rest)) = rest.split_at_checked(wlen) else {
            return Err(reset(UpdateErrorKind::WithdrawnLength));
        };
        let Some((al, rest)) = rest.split_first_chunk::<2>() else {
            return Err(reset(UpdateErrorKind::WithdrawnLength));
        };
        let alen = usize::from(u16::from_be_bytes(*al));
        let Some(nlri) = rest.get(alen..) else {
            return Err(reset(UpdateErrorKind::AttributeListLength));
        };
        // All offsets fit in 16 bits: the body does.
        let a0 = 4 + wlen;
        Ok((
            withdrawn,
            nlri,
            (2, a0 as u16 - 2),
            (a0 as u16, (a0 + alen) as u16),
        ))
    }

    /// Checks the Withdrawn Routes and NLRI fields (RFC 7606 §5.3).
    #[inline(always)]
    fn check_fields(withdrawn: &[u8], nlri: &[u8], ap4: bool) -> Result<(), UpdateError<'a>> {
        let reset = |kind| UpdateError { kind, data: &[] };
        if !nlri::check(withdrawn, 32, ap4) {
            return Err(reset(UpdateErrorKind::WithdrawnSyntax));
        }
        if !nlri::check(nlri, 32, ap4) {
            return Err(reset(UpdateErrorKind::NlriSyntax));
        }
        Ok(())
    }

    /// The view of a body that [`Update::parse`] accepted with no error and
    /// nothing hidden, with the `flags` it found: the sections come from
    /// their length fields and the slots from the attribute headers, exactly
    /// as validation recorded them (for such a body every attribute has its
    /// slot, none hidden). Reads only headers; no accessor of the result can
    /// panic even on other bytes, as all of them use checked slicing.
    fn reindex(body: &'a [u8], flags: u8) -> Self {
        let (withdrawn, (a0, a1)) = Self::sections(body);
        let attrs = body
            .get(usize::from(a0)..usize::from(a1))
            .unwrap_or_default();
        let mut slots = [0; SLOTS];
        let mut rest = attrs;
        while let Ok((raw, next)) = attr::split_attr(rest) {
            let info = TYPE_INFO[usize::from(raw.ty.0)];
            if let Some(s) = slots.get_mut(usize::from(info.slot)) {
                *s = (attrs.len() - rest.len()) as u16 + 1;
            }
            rest = next;
        }
        Self {
            body,
            withdrawn,
            attrs: (a0, a1),
            slots,
            flags,
            rib: None,
            hidden: None,
            error: None,
        }
    }

    /// The Withdrawn Routes field and the attribute list of a body that
    /// [`Update::parse`] accepted, from their length fields, as offsets.
    #[inline]
    fn sections(body: &[u8]) -> ((u16, u16), (u16, u16)) {
        let len_at = |at: usize| {
            body.get(at..at + 2)
                .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        };
        let a0 = 4 + len_at(0);
        let a1 = (a0 + len_at(a0 - 2)).min(body.len());
        // A validated body is at most `MAX_BODY` octets: every offset fits.
        ((2, (a0 - 2) as u16), (a0 as u16, a1 as u16))
    }

    /// Validates a path attribute list on its own, as if it were the
    /// attributes of an UPDATE with no withdrawn routes and no NLRI field
    /// (MRT TABLE_DUMP entries store attributes so). Borrows `attrs`; copies
    /// nothing. Errors as for [`Update::parse`].
    pub fn from_attributes(attrs: &'a [u8], ctx: &SessionContext) -> Result<Self, UpdateError<'a>> {
        Self::attributes_only(attrs, ctx, None)
    }

    /// Like [`Update::from_attributes`], for the attributes of an MRT
    /// TABLE_DUMP_V2 RIB entry of `family` ([RFC 6396 §4.3.4]): there
    /// MP_REACH_NLRI holds only the next-hop length and the next hop (no
    /// AFI/SAFI, no NLRI). The full form, which some writers use, is accepted
    /// too. [`Update::mp_reach`] then reports `family`, the next hop and no
    /// prefixes.
    ///
    /// [RFC 6396 §4.3.4]: https://www.rfc-editor.org/rfc/rfc6396#section-4.3.4
    pub fn from_rib_attributes(
        attrs: &'a [u8],
        family: Family,
        ctx: &SessionContext,
    ) -> Result<Self, UpdateError<'a>> {
        Self::attributes_only(attrs, ctx, Some(family))
    }

    fn attributes_only(
        attrs: &'a [u8],
        ctx: &SessionContext,
        rib: Option<Family>,
    ) -> Result<Self, UpdateError<'a>> {
        if attrs.len() > MAX_BODY {
            return Err(UpdateError {
                kind: UpdateErrorKind::AttributeListLength,
                data: &[],
            });
        }
        Self::parse_sections(attrs, (0, 0), (0, attrs.len() as u16), ctx, rib)
    }

    /// Validates the attribute list `body[attrs.0..attrs.1]` of an UPDATE
    /// whose Withdrawn Routes and NLRI fields are already checked. `rib`: the
    /// family of an MRT RIB entry (abbreviated MP_REACH_NLRI).
    #[inline(never)]
    fn parse_sections(
        body: &'a [u8],
        withdrawn: (u16, u16),
        attrs_at: (u16, u16),
        ctx: &SessionContext,
        rib: Option<Family>,
    ) -> Result<Self, UpdateError<'a>> {
        Self::validate(body, withdrawn, attrs_at, ctx, rib, &mut ())
    }

    /// [`Update::parse_sections`] with a visitor, for [`Update::visit`]: out
    /// of line, with the view a local whose offsets nobody reads, so that
    /// the compiler can drop them and no view is copied out.
    #[inline(never)]
    fn visit_sections<V: UpdateVisitor<'a>>(
        body: &'a [u8],
        withdrawn: (u16, u16),
        attrs_at: (u16, u16),
        ctx: &SessionContext,
        visit: &mut V,
    ) -> Result<Option<UpdateError<'a>>, UpdateError<'a>> {
        Self::validate(body, withdrawn, attrs_at, ctx, None, visit).map(|u| u.error())
    }

    #[inline(always)]
    fn validate<V: UpdateVisitor<'a>>(
        body: &'a [u8],
        withdrawn: (u16, u16),
        attrs_at: (u16, u16),
        ctx: &SessionContext,
        rib: Option<Family>,
        visit: &mut V,
    ) -> Result<Self, UpdateError<'a>> {
        let reset = |kind| UpdateError { kind, data: &[] };
        let attrs = body
            .get(usize::from(attrs_at.0)..usize::from(attrs_at.1))
            .unwrap_or_default();
        let has_nlri = usize::from(attrs_at.1) < body.len();
        let mut flags = 0;
        if ctx.four_octet_as {
            flags |= FOUR_OCTET;
        }
        if ctx.add_path(Family::IPV4_UNICAST) {
            flags |= ADD_PATH_V4;
        }
        let mut u = Self {
            body,
            withdrawn,
            attrs: attrs_at,
            slots: [0; SLOTS],
            flags,
            rib,
            hidden: None,
            error: None,
        };
        let mut hidden: SmallVec<[u16; 4]> = SmallVec::new();
        let (as_len, ebgp) = (ctx.as_len(), ctx.ebgp);
        // Types seen so far: types below 64 (every common one) in a register,
        // so that one attribute's check does not wait on the previous store.
        let mut seen_lo = 0u64;
        let mut seen_hi = [0u64; 3];
        let mut rest = attrs;
        while !rest.is_empty() {
            let off = attrs.len() - rest.len();
            let Ok((raw, next)) = attr::split_attr(rest) else {
                // RFC 7606 §4: the NLRI is still located by the total
                // attribute length; stop parsing attributes.
                u.note(UpdateErrorKind::AttributeOverrun, off, rest.len());
                break;
            };
            rest = next;
            let t = raw.ty.0;
            let bit = 1u64 << (t & 63);
            let dup = if t < 64 {
                let d = seen_lo & bit != 0;
                seen_lo |= bit;
                d
            } else {
                let w = &mut seen_hi[usize::from(t >> 6) - 1];
                let d = *w & bit != 0;
                *w |= bit;
                d
            };
            if dup {
                if raw.ty == AttrType::MP_REACH_NLRI || raw.ty == AttrType::MP_UNREACH_NLRI {
                    return Err(reset(UpdateErrorKind::DuplicateMp(raw.ty)));
                }
                u.note(UpdateErrorKind::Duplicate(raw.ty), off, raw.bytes.len());
                hidden.push(off as u16);
                continue;
            }
            // The common types, well formed: the flags and value rules of
            // `check_flags` and `check_value`, read from the type code with
            // one jump. Anything they do not accept here goes through those
            // rules below, which decide (the same acceptance either way).
            {
                let ot = raw.flags.0 & (attr::AttrFlags::OPTIONAL | attr::AttrFlags::TRANSITIVE);
                let v = raw.value;
                let len = v.len();
                macro_rules! accept {
                    ($ty:ident, $ok:expr) => {{
                        const SLOT: usize = match slot(AttrType::$ty.0) {
                            Some(s) => s,
                            None => panic!("a recorded type"),
                        };
                        const FLAGS: u8 = match attr::expected_flags(AttrType::$ty) {
                            Some(f) => f,
                            None => panic!("a type with checked flags"),
                        };
                        if ot == FLAGS && $ok {
                            u.slots[SLOT] = off as u16 + 1;
                            if V::ATTRIBUTES {
                                visit.attribute(typed(raw, u.flags, u.rib));
                            }
                            continue;
                        }
                    }};
                }
                match raw.ty {
                    AttrType::ORIGIN => accept!(ORIGIN, matches!(v, [o] if *o <= 2)),
                    AttrType::AS_PATH => accept!(
                        AS_PATH,
                        matches!(attr::check_as_path(v, as_len), Ok(confed) if !(confed && ebgp))
                    ),
                    AttrType::NEXT_HOP => accept!(NEXT_HOP, len == 4),
                    AttrType::MED => accept!(MED, len == 4),
                    AttrType::LOCAL_PREF => accept!(LOCAL_PREF, len == 4 && !ebgp),
                    AttrType::ATOMIC_AGGREGATE => accept!(ATOMIC_AGGREGATE, len == 0),
                    AttrType::AGGREGATOR => accept!(AGGREGATOR, len == 2 + as_len + 2),
                    AttrType::COMMUNITIES => accept!(COMMUNITIES, len > 0 && len % 4 == 0),
                    AttrType::ORIGINATOR_ID => accept!(ORIGINATOR_ID, len == 4),
                    AttrType::CLUSTER_LIST => accept!(CLUSTER_LIST, len > 0 && len % 4 == 0),
                    AttrType::EXTENDED_COMMUNITIES => {
                        accept!(EXTENDED_COMMUNITIES, len > 0 && len % 8 == 0);
                    }
                    AttrType::LARGE_COMMUNITIES => {
                        accept!(LARGE_COMMUNITIES, len > 0 && len % 12 == 0);
                    }
                    _ => {}
                }
            }
            let info = TYPE_INFO[usize::from(t)];
            if let Err(kind) = check_flags(raw, info.flags) {
                if kind.action() == Action::SessionReset {
                    return Err(UpdateError {
                        kind,
                        data: raw.bytes,
                    });
                }
                u.note(kind, off, raw.bytes.len());
                // Wrong flags are treat-as-withdraw (RFC 7606 §3 (c)). The
                // NLRI of MP_REACH/MP_UNREACH are what gets withdrawn, so
                // those stay visible when their value is sound.
                if raw.ty != AttrType::MP_REACH_NLRI && raw.ty != AttrType::MP_UNREACH_NLRI {
                    hidden.push(off as u16);
                    continue;
                }
            }
            if let Err(kind) = u.check_value(raw, ctx) {
                if kind.action() == Action::SessionReset {
                    return Err(UpdateError {
                        kind,
                        data: raw.bytes,
                    });
                }
                u.note(kind, off, raw.bytes.len());
                hidden.push(off as u16);
                continue;
            }
            if let Some(s) = u.slots.get_mut(usize::from(info.slot)) {
                *s = off as u16 + 1;
            }
            if V::ATTRIBUTES {
                visit.attribute(typed(raw, u.flags, u.rib));
            }
        }
        if !hidden.is_empty() {
            u.hidden = Some(hidden.into_vec().into_boxed_slice());
        }

        // RFC 7606 §3 (d); NEXT_HOP only for the NLRI field (RFC 4760 §3).
        // ORIGIN, AS_PATH, NEXT_HOP and MP_REACH_NLRI are all below 64.
        let present = |t: AttrType| seen_lo & (1 << (t.0 & 63)) != 0;
        if has_nlri || present(AttrType::MP_REACH_NLRI) {
            for t in [AttrType::ORIGIN, AttrType::AS_PATH] {
                if !present(t) {
                    u.note(UpdateErrorKind::Missing(t), 0, 0);
                }
            }
            if has_nlri && !present(AttrType::NEXT_HOP) {
                u.note(UpdateErrorKind::Missing(AttrType::NEXT_HOP), 0, 0);
            }
        }
        Ok(u)
    }

    /// Checks one attribute's flags and value.
    #[inline]
    fn check_value(
        &mut self,
        raw: RawAttr<'a>,
        ctx: &SessionContext,
    ) -> Result<(), UpdateErrorKind> {
        let ty = raw.ty;
        match ty {
            AttrType::MP_REACH_NLRI => {
                let m = match self.rib {
                    Some(family) => MpReach::parse_rib(raw.value, family, ctx)?,
                    None => MpReach::parse(raw.value, ctx)?,
                };
                if m.add_path() {
                    self.flags |= MP_REACH_ADD_PATH;
                }
                Ok(())
            }
            AttrType::MP_UNREACH_NLRI => {
                if MpUnreach::parse(raw.value, ctx)?.add_path() {
                    self.flags |= MP_UNREACH_ADD_PATH;
                }
                Ok(())
            }
            AttrType::AS4_PATH | AttrType::AS4_AGGREGATOR if ctx.four_octet_as => {
                Err(UpdateErrorKind::As4OnFourOctetSession(ty))
            }
            _ => attr::validate_value(ty, raw.value, ctx),
        }
    }

    /// Records an error (with `len` octets of data at `off` in the attribute
    /// list) unless a more severe one is already recorded.
    #[inline]
    fn note(&mut self, kind: UpdateErrorKind, off: usize, len: usize) {
        if self.error.is_none_or(|(e, ..)| kind.action() > e.action()) {
            self.error = Some((kind, off as u16, (off + len) as u16));
        }
    }

    #[inline]
    const fn four_octet(&self) -> bool {
        self.flags & FOUR_OCTET != 0
    }

    //--- Errors

    /// The most severe RFC 7606 error found, if any (never a session reset:
    /// those make [`Update::parse`] fail).
    pub fn error(&self) -> Option<UpdateError<'a>> {
        let (kind, from, to) = self.error?;
        let data = self
            .attribute_bytes()
            .get(usize::from(from)..usize::from(to))
            .unwrap_or_default();
        Some(UpdateError { kind, data })
    }

    /// The RFC 7606 action the receiver must take ([`Action::None`] when the
    /// UPDATE is well formed). With [`Action::TreatAsWithdraw`] every prefix in
    /// [`Update::announced`] and [`Update::mp_reach`] is to be withdrawn; with
    /// [`Action::AfiSafiDisable`] the family named by the error is.
    pub fn action(&self) -> Action {
        self.error.map_or(Action::None, |(e, ..)| e.action())
    }

    //--- NLRI

    /// The withdrawn IPv4 unicast prefixes of the Withdrawn Routes field.
    pub fn withdrawn(&self) -> Prefixes<'a> {
        Prefixes::new(self.withdrawn_bytes(), false, self.flags & ADD_PATH_V4 != 0)
    }

    /// The announced IPv4 unicast prefixes of the NLRI field.
    pub fn announced(&self) -> Prefixes<'a> {
        Prefixes::new(self.nlri_bytes(), false, self.flags & ADD_PATH_V4 != 0)
    }

    /// Every withdrawn prefix: the Withdrawn Routes field, then
    /// MP_UNREACH_NLRI (prefix families).
    pub fn all_withdrawn(&self) -> impl Iterator<Item = Nlri> + use<'a> {
        self.withdrawn().chain(
            self.mp_unreach()
                .and_then(|m| m.prefixes())
                .into_iter()
                .flatten(),
        )
    }

    /// Every announced prefix: the NLRI field, then MP_REACH_NLRI (prefix
    /// families).
    pub fn all_announced(&self) -> impl Iterator<Item = Nlri> + use<'a> {
        self.announced().chain(
            self.mp_reach()
                .and_then(|m| m.prefixes())
                .into_iter()
                .flatten(),
        )
    }

    /// The raw Withdrawn Routes field.
    #[inline]
    pub fn withdrawn_bytes(&self) -> &'a [u8] {
        self.body
            .get(usize::from(self.withdrawn.0)..usize::from(self.withdrawn.1))
            .unwrap_or_default()
    }
    /// The raw NLRI field.
    #[inline]
    pub fn nlri_bytes(&self) -> &'a [u8] {
        self.body
            .get(usize::from(self.attrs.1)..)
            .unwrap_or_default()
    }
    /// The raw path attribute list.
    #[inline]
    pub fn attribute_bytes(&self) -> &'a [u8] {
        self.body
            .get(usize::from(self.attrs.0)..usize::from(self.attrs.1))
            .unwrap_or_default()
    }

    /// The family whose End-of-RIB marker this is (RFC 4724 §2): an empty
    /// UPDATE for IPv4 unicast, or one holding only an empty MP_UNREACH_NLRI.
    pub fn end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn_bytes().is_empty() || !self.nlri_bytes().is_empty() {
            return None;
        }
        let attrs = self.attribute_bytes();
        if attrs.is_empty() {
            return Some(Family::IPV4_UNICAST);
        }
        let m = self.mp_unreach()?;
        let only = attr::split_attr(attrs).is_ok_and(|(_, rest)| rest.is_empty());
        (only && m.is_end_of_rib()).then_some(m.family())
    }

    //--- Attributes

    /// The accepted attributes in wire order, typed. Duplicates and
    /// discarded or malformed attributes are not shown.
    pub fn attributes(&self) -> Attributes<'_, 'a> {
        let attrs = self.attribute_bytes();
        Attributes {
            rest: attrs,
            base: attrs.len(),
            hidden: self.hidden.as_deref().unwrap_or_default(),
            flags: self.flags,
            rib: self.rib,
        }
    }

    #[inline]
    fn raw(&self, ty: AttrType) -> Option<&'a [u8]> {
        let off = *self.slots.get(slot(ty.0)?)?;
        let off = usize::from(off.checked_sub(1)?);
        attr::split_attr(self.attribute_bytes().get(off..)?)
            .ok()
            .map(|(r, _)| r.value)
    }

    #[inline]
    fn u32_attr(&self, ty: AttrType) -> Option<u32> {
        self.raw(ty)
            .and_then(|v| v.try_into().ok())
            .map(u32::from_be_bytes)
    }

    /// ORIGIN.
    pub fn origin(&self) -> Option<Origin> {
        self.raw(AttrType::ORIGIN)?
            .first()
            .copied()
            .and_then(Origin::from_u8)
    }
    /// AS_PATH as on the wire (2- or 4-octet per the context).
    pub fn as_path(&self) -> Option<AsPath<'a>> {
        self.raw(AttrType::AS_PATH)
            .map(|v| AsPath::new(v, self.four_octet()))
    }
    /// NEXT_HOP.
    pub fn next_hop(&self) -> Option<std::net::Ipv4Addr> {
        self.u32_attr(AttrType::NEXT_HOP).map(Into::into)
    }
    /// MULTI_EXIT_DISC.
    pub fn med(&self) -> Option<u32> {
        self.u32_attr(AttrType::MED)
    }
    /// LOCAL_PREF.
    pub fn local_pref(&self) -> Option<u32> {
        self.u32_attr(AttrType::LOCAL_PREF)
    }
    /// Whether ATOMIC_AGGREGATE is present.
    pub fn atomic_aggregate(&self) -> bool {
        self.raw(AttrType::ATOMIC_AGGREGATE).is_some()
    }
    /// AGGREGATOR as on the wire.
    pub fn aggregator(&self) -> Option<Aggregator> {
        self.typed(AttrType::AGGREGATOR).and_then(|a| match a {
            Attribute::Aggregator(a) => Some(a),
            _ => None,
        })
    }
    /// COMMUNITIES.
    pub fn communities(&self) -> Option<Communities<'a>> {
        self.raw(AttrType::COMMUNITIES).map(attr::List::new)
    }
    /// ORIGINATOR_ID.
    pub fn originator_id(&self) -> Option<std::net::Ipv4Addr> {
        self.u32_attr(AttrType::ORIGINATOR_ID).map(Into::into)
    }
    /// CLUSTER_LIST.
    pub fn cluster_list(&self) -> Option<ClusterList<'a>> {
        self.raw(AttrType::CLUSTER_LIST).map(attr::List::new)
    }
    /// EXTENDED COMMUNITIES.
    pub fn ext_communities(&self) -> Option<ExtCommunities<'a>> {
        self.raw(AttrType::EXTENDED_COMMUNITIES)
            .map(attr::List::new)
    }
    /// IPv6 Address Specific Extended Communities.
    pub fn ipv6_ext_communities(&self) -> Option<Ipv6ExtCommunities<'a>> {
        self.raw(AttrType::IPV6_EXTENDED_COMMUNITIES)
            .map(attr::List::new)
    }
    /// LARGE_COMMUNITY.
    pub fn large_communities(&self) -> Option<LargeCommunities<'a>> {
        self.raw(AttrType::LARGE_COMMUNITIES).map(attr::List::new)
    }
    /// AS4_PATH (only ever present on a 2-octet session).
    pub fn as4_path(&self) -> Option<AsPath<'a>> {
        self.raw(AttrType::AS4_PATH).map(|v| AsPath::new(v, true))
    }
    /// AS4_AGGREGATOR (only ever present on a 2-octet session).
    pub fn as4_aggregator(&self) -> Option<Aggregator> {
        self.typed(AttrType::AS4_AGGREGATOR).and_then(|a| match a {
            Attribute::As4Aggregator(a) => Some(a),
            _ => None,
        })
    }
    /// AIGP.
    pub fn aigp(&self) -> Option<Aigp<'a>> {
        self.typed(AttrType::AIGP).and_then(|a| match a {
            Attribute::Aigp(a) => Some(a),
            _ => None,
        })
    }
    /// Only to Customer.
    pub fn otc(&self) -> Option<u32> {
        self.u32_attr(AttrType::OTC)
    }
    /// MP_REACH_NLRI, if present and well formed.
    pub fn mp_reach(&self) -> Option<MpReach<'a>> {
        let v = self.raw(AttrType::MP_REACH_NLRI)?;
        MpReach::split_validated(v, self.rib, self.flags & MP_REACH_ADD_PATH != 0)
    }
    /// MP_UNREACH_NLRI, if present and well formed.
    pub fn mp_unreach(&self) -> Option<MpUnreach<'a>> {
        let v = self.raw(AttrType::MP_UNREACH_NLRI)?;
        MpUnreach::split_validated(v, self.flags & MP_UNREACH_ADD_PATH != 0)
    }

    fn typed(&self, ty: AttrType) -> Option<Attribute<'a>> {
        let off = usize::from(self.slots.get(slot(ty.0)?)?.checked_sub(1)?);
        let (raw, _) = attr::split_attr(self.attribute_bytes().get(off..)?).ok()?;
        Some(Attribute::from_raw(
            raw,
            self.four_octet(),
            || self.mp_reach(),
            || self.mp_unreach(),
        ))
    }

    /// The AS path with AS4_PATH merged in (RFC 6793 §4.2.3). On a 4-octet
    /// session, or without AS4_PATH, this is [`Update::as_path`]. AS4_PATH is
    /// ignored when AGGREGATOR is present with an AS other than AS_TRANS.
    pub fn effective_as_path(&self) -> Option<AsPathBuf> {
        let path = self.as_path()?.to_buf();
        let Some(as4) = self.as4_path() else {
            return Some(path);
        };
        if self.aggregator().is_some_and(|a| a.asn != AS_TRANS) {
            return Some(path);
        }
        Some(path.merge_as4(&as4.to_buf()))
    }

    /// The aggregator with AS4_AGGREGATOR applied (RFC 6793 §4.2.3): used when
    /// AGGREGATOR carries AS_TRANS.
    pub fn effective_aggregator(&self) -> Option<Aggregator> {
        let a = self.aggregator()?;
        match self.as4_aggregator() {
            Some(a4) if a.asn == AS_TRANS => Some(a4),
            _ => Some(a),
        }
    }

    /// An owned copy of the message as accepted (hidden attributes left out).
    pub fn to_message(&self) -> UpdateMessage {
        UpdateMessage {
            withdrawn: self.withdrawn().collect(),
            attributes: self.attributes().map(|a| a.to_owned_attr()).collect(),
            announced: self.announced().collect(),
        }
    }
}

//----------- UpdateBuf -------------------------------------------------------

/// An UPDATE body in an owned buffer together with what validating it found,
/// so that the [`Update`] view can be had again without validating again.
///
/// `B` is any owned byte buffer (`Vec<u8>`, `bytes::Bytes`, `Box<[u8]>`, …)
/// whose `as_ref` returns the same bytes every time, as all of those do.
/// This is for owners that hand a received UPDATE on (a session's event
/// queue, a channel), so it is kept small: the buffer and 16 octets. For a
/// well-formed UPDATE (no RFC 7606 error, nothing hidden) [`UpdateBuf::view`]
/// finds the sections and attributes again from their length fields and the
/// attribute headers (a few octets per attribute, no validation); for any
/// other it copies the offsets validation recorded, kept in a box.
#[derive(Clone, Debug)]
pub struct UpdateBuf<B> {
    body: B,
    /// `Update::flags`.
    flags: u8,
    /// The slots of MP_REACH_NLRI and MP_UNREACH_NLRI, so that the routes
    /// can be had without walking the attributes.
    mp: [u16; 2],
    /// The offsets of an UPDATE with an error or hidden attributes.
    detail: Option<Box<Detail>>,
}

const MP_REACH_SLOT: usize = 17;
const MP_UNREACH_SLOT: usize = 18;

/// What [`Update::parse`] recorded, for an UPDATE whose view cannot be
/// rebuilt from its headers alone.
#[derive(Clone, Debug)]
struct Detail {
    withdrawn: (u16, u16),
    attrs: (u16, u16),
    slots: [u16; SLOTS],
    hidden: Option<Box<[u16]>>,
    error: Option<(UpdateErrorKind, u16, u16)>,
}

/// An UPDATE that [`UpdateBuf::parse`] refused: its RFC 7606 action is a
/// session reset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateBufError<B> {
    /// The buffer, handed back.
    pub body: B,
    /// Why the UPDATE was refused.
    pub kind: UpdateErrorKind,
    /// The NOTIFICATION to send ([`UpdateError::notification`]).
    pub notification: crate::notification::Notification,
}

impl<B: AsRef<[u8]>> UpdateBuf<B> {
    /// Validates the UPDATE body in `body` exactly as [`Update::parse`] does
    /// and keeps the result next to the buffer.
    #[inline]
    pub fn parse(body: B, ctx: &SessionContext) -> Result<Self, UpdateBufError<B>> {
        let parsed = match Update::parse(body.as_ref(), ctx) {
            Ok(u) if u.error.is_none() && u.hidden.is_none() => Ok((
                u.flags,
                [u.slots[MP_REACH_SLOT], u.slots[MP_UNREACH_SLOT]],
                None,
            )),
            Ok(u) => Ok((
                u.flags,
                [u.slots[MP_REACH_SLOT], u.slots[MP_UNREACH_SLOT]],
                Some(Box::new(Detail {
                    withdrawn: u.withdrawn,
                    attrs: u.attrs,
                    slots: u.slots,
                    hidden: u.hidden,
                    error: u.error,
                })),
            )),
            Err(e) => Err((e.kind, e.notification())),
        };
        match parsed {
            Ok((flags, mp, detail)) => Ok(Self {
                body,
                flags,
                mp,
                detail,
            }),
            Err((kind, notification)) => Err(UpdateBufError {
                body,
                kind,
                notification,
            }),
        }
    }

    /// The validated view, without validating again.
    #[inline]
    pub fn view(&self) -> Update<'_> {
        let body = self.body.as_ref();
        match &self.detail {
            None => Update::reindex(body, self.flags),
            Some(d) => Update {
                body,
                withdrawn: d.withdrawn,
                attrs: d.attrs,
                slots: d.slots,
                flags: self.flags,
                rib: None,
                hidden: d.hidden.clone(),
                error: d.error,
            },
        }
    }

    /// The RFC 7606 action ([`Update::action`]), without building the view.
    #[inline]
    pub fn action(&self) -> Action {
        match &self.detail {
            Some(d) => d.error.map_or(Action::None, |(e, ..)| e.action()),
            None => Action::None,
        }
    }

    /// A view that knows the sections and the MP attributes only, for the
    /// route accessors below (which use nothing else).
    #[inline]
    fn routes_view(&self) -> Update<'_> {
        let body = self.body.as_ref();
        let (withdrawn, attrs) = match &self.detail {
            Some(d) => (d.withdrawn, d.attrs),
            None => Update::sections(body),
        };
        let mut slots = [0; SLOTS];
        slots[MP_REACH_SLOT] = self.mp[0];
        slots[MP_UNREACH_SLOT] = self.mp[1];
        Update {
            body,
            withdrawn,
            attrs,
            slots,
            flags: self.flags,
            rib: None,
            hidden: None,
            error: None,
        }
    }

    /// [`Update::withdrawn`], without building the view.
    #[inline]
    pub fn withdrawn(&self) -> Prefixes<'_> {
        self.routes_view().withdrawn()
    }

    /// [`Update::announced`], without building the view.
    #[inline]
    pub fn announced(&self) -> Prefixes<'_> {
        self.routes_view().announced()
    }

    /// [`Update::mp_reach`], without building the view.
    #[inline]
    pub fn mp_reach(&self) -> Option<MpReach<'_>> {
        self.routes_view().mp_reach()
    }

    /// [`Update::mp_unreach`], without building the view.
    #[inline]
    pub fn mp_unreach(&self) -> Option<MpUnreach<'_>> {
        self.routes_view().mp_unreach()
    }

    /// The buffer.
    #[inline]
    pub const fn body(&self) -> &B {
        &self.body
    }

    /// The buffer, giving up the validation result.
    pub fn into_body(self) -> B {
        self.body
    }
}

/// Iterator over the accepted attributes of an [`Update`] (`'v`: the view,
/// `'a`: the message).
#[derive(Clone, Debug)]
pub struct Attributes<'v, 'a> {
    rest: &'a [u8],
    base: usize,
    hidden: &'v [u16],
    /// `Update::flags`: the AS width and the MP attributes' ADD-PATH.
    flags: u8,
    /// `Update::rib`.
    rib: Option<Family>,
}

impl<'a> Iterator for Attributes<'_, 'a> {
    type Item = Attribute<'a>;

    #[inline]
    fn next(&mut self) -> Option<Attribute<'a>> {
        loop {
            let off = self.base - self.rest.len();
            let (raw, rest) = attr::split_attr(self.rest).ok()?;
            self.rest = rest;
            if !self.hidden.is_empty() && self.hidden.contains(&(off as u16)) {
                continue;
            }
            return Some(typed(raw, self.flags, self.rib));
        }
    }
}

/// Receives the parts of an UPDATE as validation accepts them (see
/// [`Update::visit`]): each withdrawn prefix of the Withdrawn Routes
/// field, each announced prefix of the NLRI field, then each attribute.
///
/// A closure `FnMut(Attribute)` is a visitor of the attributes alone; `()` is
/// the visitor that wants nothing (`Update::visit(body, ctx, &mut ())` gives
/// the verdict alone). The two constants say which parts a visitor wants, so
/// that validation builds nothing it would throw away: a visitor that
/// implements [`UpdateVisitor::withdrawn`] and [`UpdateVisitor::announced`]
/// sets [`UpdateVisitor::PREFIXES`].
///
/// Only the Withdrawn Routes and NLRI fields (IPv4) are visited prefix by
/// prefix; MP_REACH_NLRI and MP_UNREACH_NLRI come as attributes, whose
/// [`MpReach::prefixes`] and [`MpUnreach::prefixes`] iterate theirs.
pub trait UpdateVisitor<'a> {
    /// Whether validation types each accepted attribute and calls
    /// [`UpdateVisitor::attribute`] (`false` only for `()`).
    const ATTRIBUTES: bool = true;
    /// Whether validation calls [`UpdateVisitor::withdrawn`] and
    /// [`UpdateVisitor::announced`] while it checks the two IPv4 prefix
    /// fields. Without it those fields are checked by a faster check that
    /// yields nothing.
    const PREFIXES: bool = false;

    /// One accepted attribute, in wire order.
    fn attribute(&mut self, attr: Attribute<'a>) {
        let _ = attr;
    }

    /// One entry of the Withdrawn Routes field, in wire order.
    fn withdrawn(&mut self, nlri: Nlri) {
        let _ = nlri;
    }

    /// One entry of the NLRI field, in wire order.
    fn announced(&mut self, nlri: Nlri) {
        let _ = nlri;
    }
}

impl UpdateVisitor<'_> for () {
    const ATTRIBUTES: bool = false;
}

impl<'a, F: FnMut(Attribute<'a>)> UpdateVisitor<'a> for F {
    #[inline(always)]
    fn attribute(&mut self, attr: Attribute<'a>) {
        self(attr);
    }
}

/// A visitor's [`UpdateVisitor::withdrawn`] as an [`nlri::NlriSink`].
struct Withdrawn<'v, V>(&'v mut V);

impl<'a, V: UpdateVisitor<'a>> nlri::NlriSink for Withdrawn<'_, V> {
    #[inline(always)]
    fn nlri(&mut self, n: Nlri) {
        self.0.withdrawn(n);
    }
}

/// A visitor's [`UpdateVisitor::announced`] as an [`nlri::NlriSink`].
struct Announced<'v, V>(&'v mut V);

impl<'a, V: UpdateVisitor<'a>> nlri::NlriSink for Announced<'_, V> {
    #[inline(always)]
    fn nlri(&mut self, n: Nlri) {
        self.0.announced(n);
    }
}

/// An accepted attribute typed under a view's `flags` and `rib`.
///
/// A shown MP_REACH_NLRI / MP_UNREACH_NLRI is the one the view records (a
/// second copy resets the session; a malformed one is hidden), so its typed
/// form is what `Update::mp_reach` / `Update::mp_unreach` give; built only for
/// those types, in the same jump on the type as the others.
#[inline(always)]
fn typed(raw: RawAttr<'_>, flags: u8, rib: Option<Family>) -> Attribute<'_> {
    Attribute::from_raw(
        raw,
        flags & FOUR_OCTET != 0,
        || MpReach::split_validated(raw.value, rib, flags & MP_REACH_ADD_PATH != 0),
        || MpUnreach::split_validated(raw.value, flags & MP_UNREACH_ADD_PATH != 0),
    )
}

//----------- Owned UPDATE ----------------------------------------------------

/// An error building an UPDATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The message would exceed the session's maximum message length.
    #[error("message of {len} octets exceeds the maximum of {max}")]
    TooLong {
        /// The length the message would have.
        len: usize,
        /// The session maximum.
        max: usize,
    },
    /// An attribute value exceeds 65535 octets.
    #[error("{0:?} value exceeds 65535 octets")]
    AttributeTooLong(AttrType),
    /// A route cannot be sent to this session (an IPv6 next hop for IPv4
    /// NLRI without RFC 8950 extended next hop).
    #[error("next hop of the wrong family for {0}")]
    NextHopFamily(Family),
}

/// An owned UPDATE: withdrawn IPv4 prefixes, attributes (MP_REACH_NLRI and
/// MP_UNREACH_NLRI among them), announced IPv4 prefixes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UpdateMessage {
    /// The Withdrawn Routes field.
    pub withdrawn: Vec<Nlri>,
    /// The path attributes in order.
    pub attributes: Vec<PathAttribute>,
    /// The NLRI field.
    pub announced: Vec<Nlri>,
}

impl UpdateMessage {
    /// The length of the encoded message, header included.
    pub fn encoded_len(&self, ctx: &SessionContext) -> usize {
        let ap = ctx.add_path(Family::IPV4_UNICAST);
        let nl = |v: &[Nlri]| {
            v.iter()
                .map(|n| attr::session_nlri_len(n, ap))
                .sum::<usize>()
        };
        let attrs: usize = self.attributes.iter().map(|a| a.wire_len(ctx)).sum();
        HEADER_LEN + 4 + nl(&self.withdrawn) + attrs + nl(&self.announced)
    }

    /// Appends the whole message (header included) to `out`.
    ///
    /// Path identifiers are written when `ctx` has ADD-PATH for IPv4 unicast
    /// (0 for entries without one) and left out otherwise.
    pub fn encode(&self, ctx: &SessionContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let len = self.encoded_len(ctx);
        if len > ctx.max_message_len {
            return Err(EncodeError::TooLong {
                len,
                max: ctx.max_message_len,
            });
        }
        if let Some(a) = self.attributes.iter().find(|a| a.value_len(ctx) > 0xffff) {
            return Err(EncodeError::AttributeTooLong(a.ty()));
        }
        let ap = ctx.add_path(Family::IPV4_UNICAST);
        out.reserve(len);
        put_header(out, MessageType::UPDATE, len as u16);
        let wl: usize = self
            .withdrawn
            .iter()
            .map(|n| attr::session_nlri_len(n, ap))
            .sum();
        out.extend_from_slice(&(wl as u16).to_be_bytes());
        for n in &self.withdrawn {
            attr::put_session_nlri(out, n, ap);
        }
        let al: usize = self.attributes.iter().map(|a| a.wire_len(ctx)).sum();
        out.extend_from_slice(&(al as u16).to_be_bytes());
        for a in &self.attributes {
            a.emit(ctx, out);
        }
        for n in &self.announced {
            attr::put_session_nlri(out, n, ap);
        }
        Ok(())
    }
}

//----------- Builder ---------------------------------------------------------

/// Packs routes into UPDATE messages no larger than the session allows.
///
/// One attribute set is encoded once and as many prefixes as fit are put
/// under it; when a message is full another is started. IPv4 unicast with an
/// IPv4 next hop goes into the NLRI field, everything else into
/// MP_REACH_NLRI / MP_UNREACH_NLRI, which is placed first (RFC 7606 §5.1).
/// On a 2-octet session AS numbers above 65535 become AS_TRANS and the real
/// path travels in AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2). ADD-PATH
/// identifiers are written for the families `ctx.add_path` names.
///
/// Messages are appended, complete with header, to a caller-owned buffer.
#[derive(Clone, Debug)]
pub struct UpdateBuilder {
    ctx: SessionContext,
}

impl UpdateBuilder {
    /// A builder for a session described by `ctx` (in the sending direction).
    pub const fn new(ctx: SessionContext) -> Self {
        Self { ctx }
    }

    /// Appends UPDATEs withdrawing `nlri` of `family`; returns how many
    /// messages were written.
    pub fn withdraw(
        &self,
        family: Family,
        nlri: &[Nlri],
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let ap = self.ctx.add_path(family);
        let max = self.ctx.max_message_len;
        let mut count = 0;
        let mut i = 0;
        while i < nlri.len() {
            let start = out.len();
            put_header(out, MessageType::UPDATE, 0);
            if family == Family::IPV4_UNICAST {
                out.extend_from_slice(&[0, 0]);
                i = fill(out, &nlri[i..], ap, max - (out.len() - start) - 2, i)?;
                let wl = out.len() - start - HEADER_LEN - 2;
                out[start + HEADER_LEN..start + HEADER_LEN + 2]
                    .copy_from_slice(&(wl as u16).to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&[0, 0, 0, 0]);
                let attr_start = out.len();
                out.extend_from_slice(&[
                    attr::AttrFlags::OPTIONAL | attr::AttrFlags::EXTENDED_LENGTH,
                    15,
                    0,
                    0,
                ]);
                out.extend_from_slice(&family.afi.0.to_be_bytes());
                out.push(family.safi.0);
                i = fill(out, &nlri[i..], ap, max - (out.len() - start), i)?;
                finish_mp(out, attr_start, start);
            }
            patch_len(out, start);
            count += 1;
        }
        Ok(count)
    }

    /// Appends UPDATEs announcing `nlri` of `family` with `attrs` and
    /// `next_hop`; returns how many messages were written. NEXT_HOP and
    /// MP_* attributes in `attrs` are ignored: the builder writes them.
    pub fn announce(
        &self,
        family: Family,
        attrs: &[PathAttribute],
        next_hop: &NextHop,
        nlri: &[Nlri],
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let ctx = &self.ctx;
        let ap = ctx.add_path(family);
        let max = ctx.max_message_len;
        let in_field = family == Family::IPV4_UNICAST && matches!(next_hop, NextHop::V4(_));
        if family.afi == crate::Afi::IPV4
            && family.is_prefix_family()
            && matches!(next_hop, NextHop::V6 { .. })
            && !ctx.extended_next_hop.contains(family)
        {
            return Err(EncodeError::NextHopFamily(family));
        }

        // The attribute set, in type order, encoded once; attributes are
        // referenced, not cloned.
        let next_hop_attr = match (in_field, next_hop) {
            (true, NextHop::V4(a)) => Some(PathAttribute::NextHop(*a)),
            _ => None,
        };
        let as4 = if ctx.four_octet_as {
            Vec::new()
        } else {
            as4_attributes(attrs)
        };
        let mut list: SmallVec<[&PathAttribute; 16]> = attrs
            .iter()
            .filter(|a| match a {
                PathAttribute::NextHop(_)
                | PathAttribute::MpReach(_)
                | PathAttribute::MpUnreach(_) => false,
                PathAttribute::As4Path(_) | PathAttribute::As4Aggregator(_) => ctx.four_octet_as,
                _ => true,
            })
            .chain(next_hop_attr.as_ref())
            .chain(as4.iter())
            .collect();
        list.sort_by_key(|a| a.ty());
        let mut set = Vec::with_capacity(list.iter().map(|a| a.wire_len(ctx)).sum());
        for a in &list {
            if a.value_len(ctx) > 0xffff {
                return Err(EncodeError::AttributeTooLong(a.ty()));
            }
            a.emit(ctx, &mut set);
        }
        let nh_len = next_hop.wire_len();

        let mut count = 0;
        let mut i = 0;
        while i < nlri.len() {
            out.reserve(max);
            let start = out.len();
            put_header(out, MessageType::UPDATE, 0);
            out.extend_from_slice(&[0, 0, 0, 0]);
            if in_field {
                out.extend_from_slice(&set);
                let room = max
                    .checked_sub(out.len() - start)
                    .ok_or(EncodeError::TooLong {
                        len: out.len() - start,
                        max,
                    })?;
                let al = set.len();
                out[start + HEADER_LEN + 2..start + HEADER_LEN + 4]
                    .copy_from_slice(&(al as u16).to_be_bytes());
                i = fill(out, &nlri[i..], ap, room, i)?;
            } else {
                let attr_start = out.len();
                out.extend_from_slice(&[
                    attr::AttrFlags::OPTIONAL | attr::AttrFlags::EXTENDED_LENGTH,
                    14,
                    0,
                    0,
                ]);
                out.extend_from_slice(&family.afi.0.to_be_bytes());
                out.push(family.safi.0);
                out.push(nh_len as u8);
                next_hop.emit(out);
                out.push(0);
                let room =
                    max.checked_sub(out.len() - start + set.len())
                        .ok_or(EncodeError::TooLong {
                            len: out.len() - start + set.len(),
                            max,
                        })?;
                i = fill(out, &nlri[i..], ap, room, i)?;
                finish_mp(out, attr_start, start);
                out.extend_from_slice(&set);
                let al = out.len() - attr_start;
                out[start + HEADER_LEN + 2..start + HEADER_LEN + 4]
                    .copy_from_slice(&(al as u16).to_be_bytes());
            }
            patch_len(out, start);
            count += 1;
        }
        Ok(count)
    }
}

/// The AS4_PATH / AS4_AGGREGATOR a 2-octet session needs for `attrs`
/// (RFC 6793 §4.2.2).
fn as4_attributes(attrs: &[PathAttribute]) -> Vec<PathAttribute> {
    let mut extra = Vec::new();
    for a in attrs {
        match a {
            PathAttribute::AsPath(p) if p.needs_four_octets() => {
                // Confederation segments stay out of AS4_PATH.
                let segments = p
                    .segments
                    .iter()
                    .filter(|s| !s.ty.is_confed())
                    .cloned()
                    .collect();
                extra.push(PathAttribute::As4Path(AsPathBuf { segments }));
            }
            PathAttribute::Aggregator(g) if g.asn > 0xffff => {
                extra.push(PathAttribute::As4Aggregator(*g))
            }
            _ => {}
        }
    }
    extra
}

/// Appends entries from `nlri` while they fit in `room` octets; returns the
/// index (offset by `base`) of the first entry not written.
fn fill(
    out: &mut Vec<u8>,
    nlri: &[Nlri],
    ap: bool,
    room: usize,
    base: usize,
) -> Result<usize, EncodeError> {
    let mut used = 0;
    for (k, n) in nlri.iter().enumerate() {
        let l = attr::session_nlri_len(n, ap);
        if used + l > room {
            if k == 0 {
                return Err(EncodeError::TooLong {
                    len: out.len() + l,
                    max: room,
                });
            }
            return Ok(base + k);
        }
        used += l;
        attr::put_session_nlri(out, n, ap);
    }
    Ok(base + nlri.len())
}

/// Fills in the length of an MP attribute started at `attr_start` (4-octet
/// header), and the total attribute length of the message at `msg_start`.
fn finish_mp(out: &mut [u8], attr_start: usize, msg_start: usize) {
    let vl = out.len() - attr_start - 4;
    out[attr_start + 2..attr_start + 4].copy_from_slice(&(vl as u16).to_be_bytes());
    let al = out.len() - attr_start;
    out[msg_start + HEADER_LEN + 2..msg_start + HEADER_LEN + 4]
        .copy_from_slice(&(al as u16).to_be_bytes());
}

fn patch_len(out: &mut [u8], start: usize) {
    let len = out.len() - start;
    out[start + 16..start + 18].copy_from_slice(&(len as u16).to_be_bytes());
}

#[cfg(test)]
mod tests {

    #[test]
    fn update_buf_gives_the_same_view() {
        use crate::testing::{attr, update_body};
        let ctx = SessionContext::default();
        // ORIGIN with a bad value (treat-as-withdraw), AS_PATH, NEXT_HOP, one prefix.
        let body = update_body(
            &[24, 192, 0, 2],
            &[
                attr(0x40, 1, &[7]),
                attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xe9]),
                attr(0x40, 3, &[192, 0, 2, 1]),
                attr(0x40, 3, &[192, 0, 2, 2]),
            ],
            &[24, 198, 51, 100],
        );
        let direct = Update::parse(&body, &ctx).unwrap();
        let buf = UpdateBuf::parse(body.clone(), &ctx).unwrap();
        let view = buf.view();
        assert_eq!(buf.action(), direct.action());
        assert_eq!(view.action(), Action::TreatAsWithdraw);
        assert_eq!(view.error(), direct.error());
        assert_eq!(
            view.all_announced().collect::<Vec<_>>(),
            direct.all_announced().collect::<Vec<_>>()
        );
        assert_eq!(
            view.all_withdrawn().collect::<Vec<_>>(),
            direct.all_withdrawn().collect::<Vec<_>>()
        );
        assert_eq!(view.to_message(), direct.to_message());
        assert_eq!(buf.into_body(), body);

        let bad = update_body(&[33, 1, 2, 3, 4, 5], &[], &[]);
        let err = UpdateBuf::parse(bad.clone(), &ctx).unwrap_err();
        assert_eq!(err.kind, UpdateErrorKind::WithdrawnSyntax);
        assert_eq!(err.body, bad);
        assert_eq!((err.notification.code.0, err.notification.subcode), (3, 10));
    }
    use super::*;
    use crate::attr::Community;
    use std::net::Ipv4Addr;

    use crate::testing::{attr as a, update_body as body};

    fn origin() -> Vec<u8> {
        a(0x40, 1, &[0])
    }
    fn path() -> Vec<u8> {
        a(0x40, 2, &[2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea])
    }
    fn nh() -> Vec<u8> {
        a(0x40, 3, &[192, 0, 2, 1])
    }
    const NLRI: &[u8] = &[8, 10, 24, 192, 168, 1];
    fn ctx() -> SessionContext {
        SessionContext::default()
    }
    fn action_of(b: &[u8], c: &SessionContext) -> (Action, Option<UpdateErrorKind>) {
        match Update::parse(b, c) {
            Ok(u) => (u.action(), u.error().map(|e| e.kind)),
            Err(e) => (Action::SessionReset, Some(e.kind)),
        }
    }

    #[test]
    fn well_formed_update() {
        let b = body(
            &[16, 172, 16],
            &[
                origin(),
                path(),
                nh(),
                a(0x80, 4, &[0, 0, 0, 10]),
                a(0x40, 5, &[0, 0, 0, 100]),
                a(0xc0, 8, &[0xfd, 0xe9, 0, 1, 0xff, 0xff, 0xff, 0x01]),
            ],
            NLRI,
        );
        let u = Update::parse(&b, &ctx()).unwrap();
        assert_eq!(u.action(), Action::None);
        assert_eq!(u.origin(), Some(Origin::Igp));
        assert_eq!(u.as_path().unwrap().to_string(), "65001 65002");
        assert_eq!(u.next_hop(), Some(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(u.med(), Some(10));
        assert_eq!(u.local_pref(), Some(100));
        let c: Vec<_> = u.communities().unwrap().iter().collect();
        assert_eq!(c, [Community::new(65001, 1), Community::NO_EXPORT]);
        let ann: Vec<String> = u.announced().map(|n| n.to_string()).collect();
        assert_eq!(ann, ["10.0.0.0/8", "192.168.1.0/24"]);
        let wd: Vec<String> = u.withdrawn().map(|n| n.to_string()).collect();
        assert_eq!(wd, ["172.16.0.0/16"]);
        assert_eq!(u.attributes().count(), 6);
        // Owned round trip.
        let m = u.to_message();
        let mut out = Vec::new();
        m.encode(&ctx(), &mut out).unwrap();
        assert_eq!(&out[HEADER_LEN..], &b[..]);
    }

    #[test]
    fn view_stays_small() {
        // The view is returned by value through several layers; keep it lean.
        assert!(
            size_of::<Update<'_>>() <= 112,
            "{}",
            size_of::<Update<'_>>()
        );
    }

    #[test]
    fn end_of_rib() {
        let u = Update::parse(&[0, 0, 0, 0], &ctx()).unwrap();
        assert_eq!(u.end_of_rib(), Some(Family::IPV4_UNICAST));
        let b = body(&[], &[a(0x80, 15, &[0, 2, 1])], &[]);
        assert_eq!(
            Update::parse(&b, &ctx()).unwrap().end_of_rib(),
            Some(Family::IPV6_UNICAST)
        );
        let b = body(&[], &[a(0x80, 15, &[0, 25, 70])], &[]);
        assert_eq!(
            Update::parse(&b, &ctx()).unwrap().end_of_rib(),
            Some(Family::new(crate::Afi::L2VPN, crate::Safi::EVPN))
        );
        let b = body(&[], &[origin(), a(0x80, 15, &[0, 2, 1])], &[]);
        assert_eq!(Update::parse(&b, &ctx()).unwrap().end_of_rib(), None);
    }

    #[test]
    fn lengths_that_reset() {
        assert_eq!(
            action_of(&[0, 5, 0, 0], &ctx()),
            (Action::SessionReset, Some(UpdateErrorKind::WithdrawnLength))
        );
        assert_eq!(
            action_of(&[0, 0, 0, 5, 1], &ctx()),
            (
                Action::SessionReset,
                Some(UpdateErrorKind::AttributeListLength)
            )
        );
        assert_eq!(
            action_of(&[0, 2, 33, 1, 0, 0], &ctx()).1,
            Some(UpdateErrorKind::WithdrawnSyntax)
        );
        let b = body(&[], &[origin(), path(), nh()], &[24, 1, 2]);
        assert_eq!(action_of(&b, &ctx()).1, Some(UpdateErrorKind::NlriSyntax));
        let e = Update::parse(&b, &ctx()).unwrap_err().notification();
        assert_eq!((e.code.0, e.subcode), (3, 10));
    }

    #[test]
    fn attribute_overrun_is_treat_as_withdraw() {
        // RFC 7606 §4: last attribute's length runs past the attribute list.
        let mut bad = a(0x40, 3, &[1, 2, 3, 4]);
        bad[2] = 9;
        let b = body(&[], &[origin(), path(), bad], NLRI);
        let u = Update::parse(&b, &ctx()).unwrap();
        assert_eq!(u.action(), Action::TreatAsWithdraw);
        assert_eq!(u.error().unwrap().kind, UpdateErrorKind::AttributeOverrun);
        // The NLRI is still found through the total attribute length.
        assert_eq!(u.announced().count(), 2);
        // Fewer than three octets left.
        let b = body(&[], &[origin(), path(), nh(), vec![0x40, 1]], NLRI);
        assert_eq!(
            action_of(&b, &ctx()).1,
            Some(UpdateErrorKind::AttributeOverrun)
        );
    }

    #[test]
    fn per_attribute_rules() {
        let c = ctx();
        let with = |x: Vec<u8>| body(&[], &[origin(), path(), nh(), x], NLRI);
        let cases: &[(Vec<u8>, Action)] = &[
            (a(0x40, 1, &[3]), Action::TreatAsWithdraw), // duplicate ORIGIN is discarded...
            (a(0x80, 4, &[0, 0, 1]), Action::TreatAsWithdraw), // MED length
            (a(0x40, 5, &[0, 0, 1]), Action::TreatAsWithdraw), // LOCAL_PREF length
            (a(0x40, 6, &[1]), Action::AttributeDiscard), // ATOMIC_AGGREGATE length
            (a(0xc0, 7, &[0, 1, 1, 1, 1]), Action::AttributeDiscard), // AGGREGATOR length
            (a(0xc0, 8, &[]), Action::TreatAsWithdraw),  // COMMUNITIES empty
            (a(0xc0, 8, &[1, 2, 3]), Action::TreatAsWithdraw), // COMMUNITIES not /4
            (a(0x80, 9, &[1, 2, 3]), Action::TreatAsWithdraw), // ORIGINATOR_ID
            (a(0x80, 10, &[1, 2, 3, 4, 5]), Action::TreatAsWithdraw), // CLUSTER_LIST
            (a(0xc0, 16, &[0; 7]), Action::TreatAsWithdraw), // EXT_COMMUNITIES
            (a(0xc0, 25, &[0; 19]), Action::TreatAsWithdraw), // IPv6 ext comm
            (a(0xc0, 32, &[0; 13]), Action::TreatAsWithdraw), // LARGE
            (a(0xc0, 35, &[0; 3]), Action::TreatAsWithdraw), // OTC
            (a(0x80, 26, &[1, 0, 5, 0, 0]), Action::AttributeDiscard), // AIGP
            (a(0xc0, 23, &[0, 8, 0, 9]), Action::AttributeDiscard), // Tunnel encap
            (a(0xc0, 17, &[2, 1, 0, 0, 0, 1]), Action::AttributeDiscard), // AS4_PATH on 4-octet session
            (a(0xc0, 4, &[0, 0, 0, 1]), Action::TreatAsWithdraw),         // MED with wrong flags
            (a(0x40, 99, &[1]), Action::SessionReset),                    // unrecognized well-known
            (a(0xe0, 99, &[1]), Action::None), // unknown optional transitive
        ];
        for (i, (x, want)) in cases.iter().enumerate() {
            let (got, kind) = action_of(&with(x.clone()), &c);
            if i == 0 {
                // a second ORIGIN is a duplicate: discarded
                assert_eq!(got, Action::AttributeDiscard, "case {i}: {kind:?}");
                continue;
            }
            assert_eq!(got, *want, "case {i}: {kind:?}");
        }
        // Invalid ORIGIN value.
        let b = body(&[], &[a(0x40, 1, &[3]), path(), nh()], NLRI);
        assert_eq!(
            action_of(&b, &c),
            (
                Action::TreatAsWithdraw,
                Some(UpdateErrorKind::InvalidOrigin(3))
            )
        );
        // Discarded attributes disappear from the view; the rest stays.
        let b = with(a(0x40, 6, &[1]));
        let u = Update::parse(&b, &c).unwrap();
        assert!(!u.atomic_aggregate());
        assert_eq!(u.attributes().count(), 3);
    }

    #[test]
    fn mp_attributes_with_wrong_flags_stay_visible_for_withdrawal() {
        // MP_REACH_NLRI marked transitive: treat-as-withdraw, and the
        // prefixes to withdraw are still reachable.
        let mp = a(
            0xc0,
            14,
            &[
                0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20,
                1, 0xd, 0xb8,
            ],
        );
        let b = body(&[], &[mp, origin(), path()], &[]);
        let u = Update::parse(&b, &ctx()).unwrap();
        assert_eq!(u.action(), Action::TreatAsWithdraw);
        assert_eq!(
            u.error().unwrap().kind,
            UpdateErrorKind::Flags(AttrType::MP_REACH_NLRI)
        );
        let p: Vec<_> = u.all_announced().map(|n| n.to_string()).collect();
        assert_eq!(p, ["2001:db8::/32"]);
        // A wrong-flagged MP_UNREACH_NLRI still withdraws.
        let b = body(&[], &[a(0x40, 15, &[0, 2, 1, 32, 0x20, 1, 0xd, 0xb8])], &[]);
        let u = Update::parse(&b, &ctx()).unwrap();
        assert_eq!(u.action(), Action::TreatAsWithdraw);
        assert_eq!(u.all_withdrawn().count(), 1);
        // Wrong flags and a bad value: the value error decides.
        let b = body(
            &[],
            &[origin(), path(), a(0xc0, 14, &[0, 2, 1, 4, 1, 2, 3, 4, 0])],
            &[],
        );
        assert_eq!(action_of(&b, &ctx()).0, Action::AfiSafiDisable);
    }

    #[test]
    fn ebgp_rules() {
        let c = SessionContext {
            ebgp: true,
            ..ctx()
        };
        let b = body(
            &[],
            &[origin(), path(), nh(), a(0x40, 5, &[0, 0, 0, 100])],
            NLRI,
        );
        let u = Update::parse(&b, &c).unwrap();
        assert_eq!(u.action(), Action::AttributeDiscard);
        assert_eq!(u.local_pref(), None);
        let confed = a(0x40, 2, &[3, 1, 0, 0, 0, 1, 2, 1, 0, 0, 0, 2]);
        let b = body(&[], &[origin(), confed, nh()], NLRI);
        assert_eq!(
            action_of(&b, &c),
            (
                Action::TreatAsWithdraw,
                Some(UpdateErrorKind::ConfedFromExternal)
            )
        );
        assert_eq!(action_of(&b, &ctx()).0, Action::None);
    }

    #[test]
    fn missing_mandatory() {
        let b = body(&[], &[origin(), path()], NLRI);
        assert_eq!(
            action_of(&b, &ctx()),
            (
                Action::TreatAsWithdraw,
                Some(UpdateErrorKind::Missing(AttrType::NEXT_HOP))
            )
        );
        let b = body(&[], &[path(), nh()], NLRI);
        let u = Update::parse(&b, &ctx()).unwrap();
        let n = u.error().unwrap().notification();
        assert_eq!((n.subcode, n.data), (3, vec![1]));
        // No NLRI: nothing is mandatory.
        let b = body(&[16, 10, 1], &[], &[]);
        assert_eq!(action_of(&b, &ctx()).0, Action::None);
        // MP_REACH needs ORIGIN and AS_PATH but not NEXT_HOP.
        let mp = a(
            0x80,
            14,
            &[
                0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20,
                1, 0xd, 0xb8,
            ],
        );
        let b = body(&[], &[mp.clone(), origin(), path()], &[]);
        let u = Update::parse(&b, &ctx()).unwrap();
        assert_eq!(u.action(), Action::None);
        let r = u.mp_reach().unwrap();
        assert_eq!(r.next_hop().to_string(), "2001:db8::1");
        assert_eq!(
            u.all_announced().map(|n| n.to_string()).collect::<Vec<_>>(),
            ["2001:db8::/32"]
        );
        let b = body(&[], &[mp], &[]);
        assert_eq!(action_of(&b, &ctx()).0, Action::TreatAsWithdraw);
    }

    #[test]
    fn mp_errors() {
        // Too short to name a family: reset.
        let b = body(&[], &[a(0x80, 15, &[0, 2])], &[]);
        assert_eq!(
            action_of(&b, &ctx()),
            (
                Action::SessionReset,
                Some(UpdateErrorKind::MpTooShort(AttrType::MP_UNREACH_NLRI))
            )
        );
        // Next hop length wrong for IPv6: AFI/SAFI disable.
        let b = body(
            &[],
            &[origin(), path(), a(0x80, 14, &[0, 2, 1, 4, 1, 2, 3, 4, 0])],
            &[],
        );
        let (act, kind) = action_of(&b, &ctx());
        assert_eq!(act, Action::AfiSafiDisable);
        assert_eq!(kind.unwrap().family(), Some(Family::IPV6_UNICAST));
        // Next hop length runs past the attribute.
        let b = body(
            &[],
            &[origin(), path(), a(0x80, 14, &[0, 2, 1, 200, 1])],
            &[],
        );
        assert_eq!(action_of(&b, &ctx()).0, Action::AfiSafiDisable);
        // Bad NLRI in MP_UNREACH.
        let b = body(&[], &[a(0x80, 15, &[0, 2, 1, 129, 0])], &[]);
        assert_eq!(action_of(&b, &ctx()).0, Action::AfiSafiDisable);
        // Duplicate MP_REACH: reset with Malformed Attribute List.
        let un = a(0x80, 15, &[0, 2, 1]);
        let b = body(&[], &[un.clone(), un], &[]);
        let e = Update::parse(&b, &ctx()).unwrap_err();
        assert_eq!(
            (e.action(), e.notification().subcode),
            (Action::SessionReset, 1)
        );
        // Opaque families are carried, whatever their NLRI.
        let b = body(
            &[],
            &[
                origin(),
                path(),
                a(0x80, 14, &[0, 25, 70, 4, 1, 2, 3, 4, 0, 9, 9, 9]),
            ],
            &[],
        );
        let u = Update::parse(&b, &ctx()).unwrap();
        assert_eq!(u.action(), Action::None);
        assert!(u.mp_reach().unwrap().prefixes().is_none());
        assert_eq!(u.mp_reach().unwrap().nlri_bytes(), &[9, 9, 9]);
    }

    #[test]
    fn add_path_and_two_octet() {
        let c = SessionContext::two_octet().with_add_path(Family::IPV4_UNICAST);
        let p2 = a(0x40, 2, &[2, 2, 0xfd, 0xe9, 0x5b, 0xa0]); // 65001 23456
        let as4 = a(0xc0, 17, &[2, 1, 0xfa, 0x56, 0xea, 0x00]); // 4200000000
        let b = body(
            &[0, 0, 0, 9, 8, 10],
            &[as4, origin(), p2, nh()],
            &[0, 0, 0, 1, 24, 192, 168, 1],
        );
        let u = Update::parse(&b, &c).unwrap();
        assert_eq!(u.action(), Action::None);
        assert_eq!(u.as_path().unwrap().to_string(), "65001 23456");
        assert_eq!(
            u.effective_as_path().unwrap().to_string(),
            "65001 4200000000"
        );
        assert_eq!(u.withdrawn().next().unwrap().to_string(), "10.0.0.0/8#9");
        assert_eq!(
            u.announced().next().unwrap().to_string(),
            "192.168.1.0/24#1"
        );
    }

    #[test]
    fn builder_splits_at_max_size() {
        let c = ctx();
        let prefixes: Vec<Nlri> = (0..2000u32)
            .map(|i| {
                Nlri::new(
                    ipnet::Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24)
                        .unwrap()
                        .into(),
                )
            })
            .collect();
        let attrs = vec![
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(AsPathBuf::sequence([65001, 4_200_000_000])),
            PathAttribute::LocalPref(100),
        ];
        let mut out = Vec::new();
        let n = UpdateBuilder::new(c)
            .announce(
                Family::IPV4_UNICAST,
                &attrs,
                &NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
                &prefixes,
                &mut out,
            )
            .unwrap();
        let mut seen = Vec::new();
        let mut rest = &out[..];
        let mut msgs = 0;
        while let Some(f) = crate::frame(rest, c.max_message_len).unwrap() {
            assert!(f.len <= 4096);
            let u = Update::parse(&rest[HEADER_LEN..f.len], &c).unwrap();
            assert_eq!(u.action(), Action::None);
            assert_eq!(u.next_hop(), Some(Ipv4Addr::new(192, 0, 2, 1)));
            seen.extend(u.announced());
            rest = &rest[f.len..];
            msgs += 1;
        }
        assert_eq!(msgs, n);
        assert_eq!(seen, prefixes);
        assert_eq!(
            n,
            2000usize.div_ceil((4096 - 23 - 4 - 4 - 3 - 14 - 7) / 4),
            "packs as many as fit"
        );

        // The same to a 2-octet session: AS_TRANS plus AS4_PATH.
        let c2 = SessionContext::two_octet();
        let mut out = Vec::new();
        UpdateBuilder::new(c2)
            .announce(
                Family::IPV4_UNICAST,
                &attrs,
                &NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
                &prefixes[..1],
                &mut out,
            )
            .unwrap();
        let u = Update::parse(&out[HEADER_LEN..], &c2).unwrap();
        assert_eq!(u.as_path().unwrap().to_string(), "65001 23456");
        assert_eq!(
            u.effective_as_path().unwrap().to_string(),
            "65001 4200000000"
        );

        // IPv6 with ADD-PATH in MP_REACH, and withdrawals in MP_UNREACH.
        let c6 = ctx().with_add_path(Family::IPV6_UNICAST);
        let v6: Vec<Nlri> = (0..3000u32)
            .map(|i| {
                Nlri::with_path_id(
                    ipnet::Ipv6Net::new(
                        std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | (u128::from(i) << 64)),
                        64,
                    )
                    .unwrap()
                    .into(),
                    i,
                )
            })
            .collect();
        let nh6 = NextHop::V6 {
            global: "2001:db8::1".parse().unwrap(),
            link_local: Some("fe80::1".parse().unwrap()),
        };
        let mut out = Vec::new();
        let n = UpdateBuilder::new(c6)
            .announce(Family::IPV6_UNICAST, &attrs, &nh6, &v6, &mut out)
            .unwrap();
        let w = UpdateBuilder::new(c6)
            .withdraw(Family::IPV6_UNICAST, &v6, &mut out)
            .unwrap();
        let (mut ann, mut wd, mut rest) = (Vec::new(), Vec::new(), &out[..]);
        while let Some(f) = crate::frame(rest, 4096).unwrap() {
            let u = Update::parse(&rest[HEADER_LEN..f.len], &c6).unwrap();
            assert_eq!(u.action(), Action::None, "{:?}", u.error());
            if let Some(m) = u.mp_reach() {
                assert_eq!(m.next_hop().to_owned_hop(), nh6);
            }
            ann.extend(
                u.mp_reach()
                    .and_then(|m| m.prefixes())
                    .into_iter()
                    .flatten(),
            );
            wd.extend(u.all_withdrawn());
            rest = &rest[f.len..];
        }
        assert!(n > 1 && w > 1);
        assert_eq!(ann, v6);
        assert_eq!(wd, v6);
    }
}
