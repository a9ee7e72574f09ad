// UI-2's elements (tools and activity tabs, server detail, admin pages, embeddable views) register here.
export {}
