//! A Panorama simulator with a managed firewall fleet (work in progress).
