//! Native sockets (in progress).
