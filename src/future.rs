//! asyncio's Future (in progress).
